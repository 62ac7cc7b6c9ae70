//go:build ignore

// make_xls_source writes xls_source.xlsx, the workbook that LibreOffice turns into
// the legacy .xls fixtures (see README.md here): a hidden first sheet, a title row
// above the header, phones stored as numbers (one under a 0.00E+00 format), a date,
// a date-time, a two-decimal amount, a 17-digit number, a formula, and a second
// visible sheet.
//
//	go run readers/testdata/make_xls_source.go
package main

import (
	"log"

	"github.com/xuri/excelize/v2"
)

func main() {
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "说明"))
	must(f.SetCellValue("说明", "A1", "lookup lists, not data"))
	if _, err := f.NewSheet("名单"); err != nil {
		log.Fatal(err)
	}
	s := "名单"
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: strPtr("yyyy-mm-dd")})
	must(err)
	dateTime, err := f.NewStyle(&excelize.Style{CustomNumFmt: strPtr("yyyy-mm-dd hh:mm:ss")})
	must(err)
	twoDec, err := f.NewStyle(&excelize.Style{NumFmt: 2}) // 0.00
	must(err)
	sci, err := f.NewStyle(&excelize.Style{NumFmt: 11}) // 0.00E+00
	must(err)

	must(f.SetCellValue(s, "A1", "2026年11月 客户回访名单"))
	for i, h := range []string{"序号", "姓名", "手机号", "登记日期", "金额", "证件号", "备注"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 2)
		must(f.SetCellValue(s, cell, h))
	}
	rows := [][]any{
		{1, "张伟", int64(13812345678), 46331.0, 1234.5, "110101199001011234", "老客户"},
		{2, "王芳", 13900001111.0, 46332.5, 0.1, int64(12345678901234567), ""},
		{3, "李娜", "150-1234-5678", nil, -7, nil, "文本号码"},
		{4, "刘洋", int64(13700001111), nil, nil, nil, "科学计数格式"},
		{5, "陈静", nil, nil, nil, nil, "公式"},
	}
	for r, row := range rows {
		for c, v := range row {
			if v == nil {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(c+1, r+3)
			must(f.SetCellValue(s, cell, v))
		}
	}
	must(f.SetCellStyle(s, "D3", "D3", date))
	must(f.SetCellStyle(s, "D4", "D4", dateTime))
	must(f.SetCellStyle(s, "E3", "E5", twoDec))
	must(f.SetCellStyle(s, "C6", "C6", sci))
	must(f.SetCellFormula(s, "C7", "C3+0"))

	if _, err := f.NewSheet("第二页"); err != nil {
		log.Fatal(err)
	}
	must(f.SetCellValue("第二页", "A1", "电话"))
	must(f.SetCellValue("第二页", "A2", int64(18600001111)))
	must(f.SetCellValue("第二页", "A3", int64(18600002222)))
	f.SetActiveSheet(1)
	must(f.SetSheetVisible("说明", false)) // excelize keeps the active sheet visible
	must(f.SaveAs("readers/testdata/xls_source.xlsx"))
}

func strPtr(s string) *string { return &s }
