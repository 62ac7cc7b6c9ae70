package readers

// Layout is what Open decided about a file: enough for another reader (such as
// OpenPhoneScanner) to find the very same data rows without detecting again.
type Layout struct {
	Path string
	// Sheet is the resolved XLSX or XLS sheet name; "" for CSV/TSV/TXT.
	Sheet string
	// HeaderRow is the 1-based Excel row (or CSV line) of the header; 0 when
	// the file has no header row.
	HeaderRow int
	// FirstLine is the Excel row (or CSV line) of the data row with Index 0.
	// For XLSX, the data row with Index i is on Excel row FirstLine+i.
	FirstLine int
	// PhoneCol and OutIDCol are 0-based; OutIDCol is -1 when there is none.
	PhoneCol, OutIDCol int
	// XLS marks a legacy binary workbook: it has a Sheet but no fast scanner
	// (and needs none: it is parsed into memory at open, 65,536 rows at most).
	XLS bool
}

// LayoutOf returns the layout of a Source returned by Open; ok is false for any
// other Source.
func LayoutOf(s Source) (Layout, bool) {
	t, ok := s.(*table)
	if !ok {
		return Layout{}, false
	}
	_, isXLS := t.rr.(*xlsSource)
	first := t.firstLine
	if first == 0 && t.headerRow > 0 {
		// No data row was seen; data would start right below the header.
		first = t.headerRow + 1
	}
	return Layout{
		Path:      t.path,
		Sheet:     t.rr.sheet(),
		HeaderRow: t.headerRow,
		FirstLine: first,
		PhoneCol:  t.phoneCol,
		OutIDCol:  t.outIDCol,
		XLS:       isXLS,
	}, true
}
