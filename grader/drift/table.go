package drift

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Column is one feature of a table: numeric when every non-empty value
// parses as a number, else categorical. Empty cells are missing values and
// are left out.
type Column struct {
	Name    string
	Numeric bool
	Values  []float64 // when Numeric
	Labels  []string  // when categorical
}

// Table is a CSV file of samples, one column per feature.
type Table struct {
	File    string
	Columns []*Column
}

// Column returns the named column.
func (t *Table) Column(name string) (*Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return nil, false
}

// ReadCSV reads a CSV file with a header row. Errors name the file and line.
func ReadCSV(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseCSV(path, f)
}

func parseCSV(name string, r io.Reader) (*Table, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file (a header row of feature names is needed)", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	cols := make([]*Column, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if h == "" || seen[h] {
			return nil, fmt.Errorf("%s:1: column %d has an empty or repeated name %q", name, i+1, h)
		}
		seen[h] = true
		cols[i] = &Column{Name: h, Numeric: true}
	}
	var raw [][]string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		raw = append(raw, rec)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("%s: no rows after the header", name)
	}
	for i, c := range cols {
		for _, rec := range raw {
			v := strings.TrimSpace(rec[i])
			if v == "" {
				continue
			}
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				c.Numeric = false
				break
			}
		}
		for _, rec := range raw {
			v := strings.TrimSpace(rec[i])
			if v == "" {
				continue
			}
			if c.Numeric {
				x, _ := strconv.ParseFloat(v, 64)
				c.Values = append(c.Values, x)
			} else {
				c.Labels = append(c.Labels, v)
			}
		}
	}
	return &Table{File: name, Columns: cols}, nil
}
