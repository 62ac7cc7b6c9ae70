//go:build ignore

// make_samples writes the sample inputs the README uses, the way analysts' tools
// write them: a "CSV UTF-8" export from Excel (BOM, CRLF) and an XLSX with a title
// row above the header and phone numbers stored as numbers.
//
//	go run samples/make_samples.go
package main

import (
	"log"
	"os"
	"strings"

	"github.com/xuri/excelize/v2"
)

var people = [][]string{
	// 序号, 姓名, 手机号, 城市, 备注
	{"1", "张伟", "13912345678", "杭州", "老客户"},
	{"2", "王芳", "+86 138 0013 8000", "上海", ""},
	{"3", "李娜", "150-1234-5678", "北京", "=HYPERLINK(\"http://x\")"},
	{"4", "刘洋", "", "深圳", "号码缺失"},
	{"5", "陈静", "1861234567", "广州", "少一位"},
	{"6", "杨磊", "13912345678", "杭州", "与1号重复"},
	{"7", "赵敏", "0086 13700001111", "成都", ""},
	{"8", "黄强", "１３６００００２２２２", "武汉", "全角数字"},
	{"9", "周杰", "1.39E+10", "南京", "Excel 已损坏"},
	{"10", "吴婷", "(+86)177-0000-3333", "西安", ""},
	{"11", "徐涛", "010-88886666", "北京", "座机"},
	{"12", "孙丽", "15888889999", "苏州", "-5% 折扣"},
}

func main() {
	var b strings.Builder
	b.WriteString("\ufeff序号,姓名,手机号,城市,备注\r\n")
	for _, p := range people {
		for i, c := range p {
			if i > 0 {
				b.WriteByte(',')
			}
			if strings.ContainsAny(c, ",\"\r\n") {
				c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
			}
			b.WriteString(c)
		}
		b.WriteString("\r\n")
	}
	if err := os.WriteFile("samples/customers.csv", []byte(b.String()), 0o644); err != nil {
		log.Fatal(err)
	}

	f := excelize.NewFile()
	defer f.Close()
	sheet := "客户名单"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		log.Fatal(err)
	}
	set := func(cell string, v any) {
		if err := f.SetCellValue(sheet, cell, v); err != nil {
			log.Fatal(err)
		}
	}
	set("A1", "2026年11月 客户回访名单")
	for i, h := range []string{"序号", "姓名", "手机号", "城市", "备注"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 2)
		set(cell, h)
	}
	for r, p := range people {
		for c, v := range p {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+3)
			switch {
			case c == 0:
				set(cell, r+1)
			case c == 2 && isDigits(v) && len(v) == 11:
				// Stored as a number, as Excel does when a number is typed in.
				set(cell, mustInt(v))
			default:
				set(cell, v)
			}
		}
	}
	if err := f.SaveAs("samples/customers.xlsx"); err != nil {
		log.Fatal(err)
	}
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func mustInt(s string) int64 {
	var n int64
	for _, r := range s {
		n = n*10 + int64(r-'0')
	}
	return n
}
