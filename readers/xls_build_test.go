package readers

import (
	"encoding/binary"
	"unicode/utf16"
)

// Test helpers that write .xls files byte by byte, for what LibreOffice's
// fixtures do not show: strings split across CONTINUE records, damaged
// records, big streams.

// wrapCFB builds a minimal, well-formed compound file (version 3, 512-byte
// sectors) holding stream as its only stream, "Workbook". The stream is
// padded to 4096 bytes so it lives in regular sectors, not the mini stream;
// BIFF readers stop at the EOF record. Past 109 FAT sectors it writes DIFAT
// sectors.
func wrapCFB(stream []byte) []byte {
	const (
		sectorSize = 512
		perSector  = sectorSize / 4
		endOfChain = 0xFFFFFFFE
		freeSect   = 0xFFFFFFFF
		fatSect    = 0xFFFFFFFD
		difSect    = 0xFFFFFFFC
		headerFAT  = 109
	)
	size := max(len(stream), 4096)
	size = (size + sectorSize - 1) / sectorSize * sectorSize
	nData := size / sectorSize
	// Layout: data sectors, one directory sector, FAT sectors, DIFAT sectors.
	// Every entry of a DIFAT sector is used (the last one full of FREESECT FAT
	// sectors): past 109, the FAT grows in steps of 127 sectors.
	nFAT, nDIFAT := 1, 0
	for nFAT*perSector < nData+1+nFAT+nDIFAT {
		nFAT++
		if nFAT > headerFAT {
			nDIFAT = (nFAT - headerFAT + perSector - 2) / (perSector - 1)
			nFAT = headerFAT + nDIFAT*(perSector-1)
		}
	}
	dirSector := nData
	firstFAT := dirSector + 1
	firstDIFAT := firstFAT + nFAT
	total := firstDIFAT + nDIFAT
	out := make([]byte, sectorSize*(1+total))
	le := binary.LittleEndian

	h := out[:sectorSize]
	copy(h, magicOLE2)
	le.PutUint16(h[24:], 0x003E) // minor version
	le.PutUint16(h[26:], 3)      // major version
	le.PutUint16(h[28:], 0xFFFE) // byte order
	le.PutUint16(h[30:], 9)      // sector shift
	le.PutUint16(h[32:], 6)      // mini sector shift
	le.PutUint32(h[44:], uint32(nFAT))
	le.PutUint32(h[48:], uint32(dirSector))
	le.PutUint32(h[56:], 4096) // mini stream cutoff
	le.PutUint32(h[60:], endOfChain)
	le.PutUint32(h[64:], 0)
	if nDIFAT > 0 {
		le.PutUint32(h[68:], uint32(firstDIFAT))
	} else {
		le.PutUint32(h[68:], endOfChain)
	}
	le.PutUint32(h[72:], uint32(nDIFAT))
	for i := range headerFAT {
		v := uint32(freeSect)
		if i < nFAT {
			v = uint32(firstFAT + i)
		}
		le.PutUint32(h[76+4*i:], v)
	}
	sector := func(i int) []byte { return out[sectorSize*(1+i) : sectorSize*(2+i)] }

	copy(out[sectorSize:], stream)

	dir := sector(dirSector)
	entry := func(e []byte, name string, typ byte, child, start uint32, size uint32) {
		u := utf16.Encode([]rune(name))
		for i, c := range u {
			le.PutUint16(e[2*i:], c)
		}
		le.PutUint16(e[64:], uint16(2*len(u)+2))
		e[66] = typ
		e[67] = 1 // black
		le.PutUint32(e[68:], freeSect)
		le.PutUint32(e[72:], freeSect)
		le.PutUint32(e[76:], child)
		le.PutUint32(e[116:], start)
		le.PutUint32(e[120:], size)
	}
	entry(dir[0:128], "Root Entry", 5, 1, endOfChain, 0)
	entry(dir[128:256], "Workbook", 2, freeSect, 0, uint32(size))
	for _, e := range [][]byte{dir[256:384], dir[384:512]} {
		le.PutUint32(e[68:], freeSect)
		le.PutUint32(e[72:], freeSect)
		le.PutUint32(e[76:], freeSect)
	}

	fat := func(i int, v uint32) { le.PutUint32(sector(firstFAT + i/perSector)[4*(i%perSector):], v) }
	for i := range nFAT * perSector {
		fat(i, freeSect)
	}
	for i := range nData {
		next := uint32(i + 1)
		if i == nData-1 {
			next = endOfChain
		}
		fat(i, next)
	}
	fat(dirSector, endOfChain)
	for i := range nFAT {
		fat(firstFAT+i, fatSect)
	}
	for i := range nDIFAT {
		fat(firstDIFAT+i, difSect)
		d := sector(firstDIFAT + i)
		for j := range perSector - 1 {
			le.PutUint32(d[4*j:], uint32(firstFAT+headerFAT+i*(perSector-1)+j))
		}
		next := uint32(endOfChain)
		if i+1 < nDIFAT {
			next = uint32(firstDIFAT + i + 1)
		}
		le.PutUint32(d[4*(perSector-1):], next)
	}
	return out
}

// biffRec is one record: type and data.
func biffRec(typ int, data ...[]byte) []byte {
	var d []byte
	for _, p := range data {
		d = append(d, p...)
	}
	out := binary.LittleEndian.AppendUint16(nil, uint16(typ))
	out = binary.LittleEndian.AppendUint16(out, uint16(len(d)))
	return append(out, d...)
}

func u16(v int) []byte { return binary.LittleEndian.AppendUint16(nil, uint16(v)) }
func u32(v int) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(v)) }

// wideChars is a string as UTF-16LE.
func wideChars(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return b
}

// buildBIFF writes a Workbook stream with one visible worksheet "S": 16 XF
// records of the General format, the given SST (its record data already
// split into the SST record and CONTINUE records), and the sheet's records.
func buildBIFF(sst [][]byte, sheet ...[]byte) []byte {
	bof := func(dt int) []byte { return biffRec(biffBOF, u16(biff8Version), u16(dt), make([]byte, 12)) }
	var g []byte
	g = append(g, bof(0x0005)...)
	for range 16 {
		g = append(g, biffRec(biffXF, make([]byte, 20))...)
	}
	for i, d := range sst {
		typ := biffContinue
		if i == 0 {
			typ = biffSST
		}
		g = append(g, biffRec(typ, d)...)
	}
	bsAt := len(g)
	g = append(g, biffRec(biffBoundSheet, u32(0), []byte{0, 0, 1, 0}, []byte("S"))...)
	g = append(g, biffRec(biffEOF)...)
	binary.LittleEndian.PutUint32(g[bsAt+4:], uint32(len(g)))
	g = append(g, bof(0x0010)...)
	for _, r := range sheet {
		g = append(g, r...)
	}
	return append(g, biffRec(biffEOF)...)
}

// labelSST is a LABELSST cell record.
func labelSST(row, col, i int) []byte {
	return biffRec(biffLabelSST, u16(row), u16(col), u16(15), u32(i))
}
