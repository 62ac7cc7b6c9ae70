// Command gen writes large, realistic benchmark inputs: a CSV or an XLSX with a few
// text columns and the phone numbers stored as numbers (XLSX) or text (CSV).
//
//	go run ./bench/gen -rows 1000000 -out /tmp/in.xlsx
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"
)

func main() {
	rows := flag.Int("rows", 100000, "data rows")
	out := flag.String("out", "", "output .csv or .xlsx")
	flag.Parse()
	if *out == "" {
		log.Fatal("-out is required")
	}
	number := func(i int) int64 {
		return 13000000000 + int64(i)*7919%1000000000
	}
	cities := []string{"杭州", "上海", "北京", "深圳", "广州", "成都"}
	switch strings.ToLower(filepath.Ext(*out)) {
	case ".csv":
		f, err := os.Create(*out)
		if err != nil {
			log.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		w.WriteString("\ufeff序号,姓名,手机号,城市,备注\r\n")
		for i := 0; i < *rows; i++ {
			fmt.Fprintf(w, "%d,客户%d,%d,%s,第%d批\r\n", i+1, i+1, number(i), cities[i%len(cities)], i/1000)
		}
		if err := w.Flush(); err != nil {
			log.Fatal(err)
		}
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
	case ".xlsx":
		f := excelize.NewFile()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			log.Fatal(err)
		}
		if err := sw.SetRow("A1", []any{"序号", "姓名", "手机号", "城市", "备注"}); err != nil {
			log.Fatal(err)
		}
		for i := 0; i < *rows; i++ {
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			if err := sw.SetRow(cell, []any{i + 1, fmt.Sprintf("客户%d", i+1), number(i), cities[i%len(cities)], fmt.Sprintf("第%d批", i/1000)}); err != nil {
				log.Fatal(err)
			}
		}
		if err := sw.Flush(); err != nil {
			log.Fatal(err)
		}
		if err := f.SaveAs(*out); err != nil {
			log.Fatal(err)
		}
	default:
		log.Fatal("-out must end in .csv or .xlsx")
	}
}
