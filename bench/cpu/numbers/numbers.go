// Package numbers reads the phone numbers of a bench/gen CSV (its third column)
// for the CPU baselines.
package numbers

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
)

// Read returns the third column of every row after the header.
func Read(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = -1
	var out []string
	for i := 0; ; i++ {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s row %d: %w", path, i+1, err)
		}
		if i > 0 && len(rec) > 2 {
			out = append(out, rec[2])
		}
	}
}
