package readers

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

const (
	scanBenchRows = 1_000_000
	scanBenchFrom = 900_000
)

// genBigXLSX writes a scanBenchRows-row sheet the way Excel lays one out: 序号
// as a number, 姓名 and 城市 as shared strings, 备注 inline, and 手机号 as a
// number (or as a shared string when sharedPhone). excelize's stream writer
// cannot write shared strings, hence the hand-written XML. The file is cached
// in os.TempDir() because writing it takes longer than the thing measured.
func genBigXLSX(b *testing.B, sharedPhone bool) string {
	b.Helper()
	name := fmt.Sprintf("readers-phonescan-v1-%d-shared%v.xlsx", scanBenchRows, sharedPhone)
	p := filepath.Join(os.TempDir(), name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	tmp, err := os.CreateTemp(os.TempDir(), name+".*")
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(tmp.Name())
	zw := zip.NewWriter(tmp)
	must := func(err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
	}
	put := func(name, body string) {
		w, err := zw.Create(name)
		must(err)
		_, err = io.WriteString(w, body)
		must(err)
	}
	put("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`)
	put("_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	put("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	put("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`)

	// Shared strings: 5 headers, 10 cities, then one name (and phone) per row.
	cities := []string{"北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "西安", "南京", "苏州"}
	w, err := zw.Create("xl/sharedStrings.xml")
	must(err)
	sst := bufio.NewWriterSize(w, 1<<20)
	sst.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	for _, s := range append([]string{"序号", "姓名", "手机号", "城市", "备注"}, cities...) {
		fmt.Fprintf(sst, "<si><t>%s</t></si>", s)
	}
	const firstName = 15
	for i := 0; i < scanBenchRows; i++ {
		fmt.Fprintf(sst, "<si><t>客户%d</t></si>", i)
		if sharedPhone {
			fmt.Fprintf(sst, "<si><t>%d</t></si>", 13000000000+i)
		}
	}
	sst.WriteString(`</sst>`)
	must(sst.Flush())

	w, err = zw.Create("xl/worksheets/sheet1.xml")
	must(err)
	sh := bufio.NewWriterSize(w, 1<<20)
	sh.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><dimension ref="A1:E1000001"/><sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/><sheetData>`)
	sh.WriteString(`<row r="1" spans="1:5"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c></row>`)
	var line []byte
	for i := 0; i < scanBenchRows; i++ {
		r := strconv.Itoa(i + 2)
		name, phone := firstName+i, strconv.Itoa(13000000000+i)
		phoneCell := `<c r="C` + r + `"><v>` + phone + `</v></c>`
		if sharedPhone {
			name = firstName + 2*i
			phoneCell = `<c r="C` + r + `" t="s"><v>` + strconv.Itoa(name+1) + `</v></c>`
		}
		line = append(line[:0], `<row r="`+r+`" spans="1:5" x14ac:dyDescent="0.25"><c r="A`+r+`"><v>`+strconv.Itoa(i+1)+`</v></c><c r="B`+r+`" t="s"><v>`+strconv.Itoa(name)+`</v></c>`+phoneCell+
			`<c r="D`+r+`" t="s"><v>`+strconv.Itoa(5+i%len(cities))+`</v></c><c r="E`+r+`" t="inlineStr"><is><t>备注`+r+`</t></is></c></row>`...)
		sh.Write(line)
	}
	sh.WriteString(`</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`)
	must(sh.Flush())
	must(zw.Close())
	must(tmp.Close())
	must(os.Rename(tmp.Name(), p))
	return p
}

// benchSkip times what a resumed job waits for before its first new call:
// OpenPhoneScanner(from 900,000) and the first Next. Open, which the job runs
// first anyway, is timed once and reported as open-s.
func benchSkip(b *testing.B, sharedPhone bool) {
	p := genBigXLSX(b, sharedPhone)
	t0 := time.Now()
	src, err := Open(p, Options{TmpDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	l, _ := LayoutOf(src)
	openDur := time.Since(t0)
	src.Close()
	want := strconv.Itoa(13000000000 + scanBenchFrom)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sc, err := OpenPhoneScanner(l, scanBenchFrom)
		if err != nil {
			b.Fatal(err)
		}
		r, err := sc.Next()
		if err != nil {
			b.Fatal(err)
		}
		if r.Index != scanBenchFrom || r.Line != scanBenchFrom+2 || r.Phone != want {
			b.Fatalf("first row: index %d line %d phone of %d characters", r.Index, r.Line, len(r.Phone))
		}
		sc.Close()
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/skip")
	b.ReportMetric(openDur.Seconds(), "open-s")
}

func BenchmarkPhoneScannerSkip(b *testing.B)            { benchSkip(b, false) }
func BenchmarkPhoneScannerSkipSharedPhone(b *testing.B) { benchSkip(b, true) }
