package bolt

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// bbolt trusts the pages of its file: a corrupt page can make it panic on
// a goroutine of its own (crashing the process) or loop forever on a cycle
// of pages. checkPages reads the file's page tree, as bbolt lays it out on
// disk, and refuses any page that is out of range, of the wrong kind,
// holds elements that overflow it, or is reached twice, before bbolt walks
// the tree. The layout (in the machine's byte order, as bbolt writes it):
//
//	page header: id u64, flags u16, count u16, overflow u32 (16 bytes)
//	meta (after the header): magic u32, version u32, page size u32,
//	  flags u32, root bucket {root u64, sequence u64}, freelist u64,
//	  pgid u64 (high-water mark), txid u64, checksum u64 (FNV-64a of the
//	  fields before it)
//	branch element: pos u32, ksize u32, child u64 (16 bytes)
//	leaf element: flags u32, pos u32, ksize u32, vsize u32 (16 bytes);
//	  pos counts from the element itself; flag 1 marks a nested bucket,
//	  whose value is {root u64, sequence u64}, followed by an inline leaf
//	  page when root is 0
const (
	pageHeaderSize = 16
	elementSize    = 16
	metaSize       = 64
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	branchFlag     = 0x01
	leafFlag       = 0x02
	freelistFlag   = 0x10
	bucketLeafFlag = 0x01
	noFreelist     = ^uint64(0)
	maxTreeDepth   = 64
)

type pageMeta struct {
	pageSize       uint64
	root, freelist uint64
	pgid, txid     uint64
}

func parseMeta(b []byte) (pageMeta, bool) {
	if len(b) < pageHeaderSize+metaSize {
		return pageMeta{}, false
	}
	m := b[pageHeaderSize : pageHeaderSize+metaSize]
	le := binary.NativeEndian
	if le.Uint32(m[0:]) != boltMagic || le.Uint32(m[4:]) != boltVersion {
		return pageMeta{}, false
	}
	h := fnv.New64a()
	h.Write(m[:56])
	if h.Sum64() != le.Uint64(m[56:]) {
		return pageMeta{}, false
	}
	return pageMeta{
		pageSize: uint64(le.Uint32(m[8:])),
		root:     le.Uint64(m[16:]),
		freelist: le.Uint64(m[32:]),
		pgid:     le.Uint64(m[40:]),
		txid:     le.Uint64(m[48:]),
	}, true
}

type pageChecker struct {
	f       io.ReaderAt
	meta    pageMeta
	visited map[uint64]bool
}

// checkPages validates the page tree of the bbolt file at path.
func checkPages(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	// The page size comes from the first valid meta page; the second one
	// sits one page further.
	var first [4096]byte
	n, _ := f.ReadAt(first[:], 0)
	m0, ok0 := parseMeta(first[:n])
	ps := uint64(os.Getpagesize())
	if ok0 {
		ps = m0.pageSize
	}
	if ps < 1024 || ps > 1<<16 || ps&(ps-1) != 0 {
		return fmt.Errorf("%w: page size %d", ErrFormat, ps)
	}
	second := make([]byte, pageHeaderSize+metaSize)
	n, _ = f.ReadAt(second, int64(ps))
	m1, ok1 := parseMeta(second[:n])
	var m pageMeta
	switch {
	case ok0 && ok1 && m1.txid > m0.txid, !ok0 && ok1:
		m = m1
	case ok0:
		m = m0
	default:
		return fmt.Errorf("%w: no valid meta page", ErrFormat)
	}
	if m.pageSize != ps {
		return fmt.Errorf("%w: meta pages disagree on the page size", ErrFormat)
	}
	if m.pgid < 2 || m.pgid > uint64(fi.Size())/ps {
		return fmt.Errorf("%w: truncated (%d bytes, %d pages of %d expected)", ErrFormat, fi.Size(), m.pgid, ps)
	}
	c := &pageChecker{f: f, meta: m, visited: map[uint64]bool{}}
	if m.freelist != noFreelist {
		if err := c.checkFreelist(m.freelist); err != nil {
			return err
		}
	}
	return c.checkTree(m.root, 0)
}

// read returns the whole span of page id, overflow pages included, with
// its header fields.
func (c *pageChecker) read(id uint64) (buf []byte, flags, count uint16, err error) {
	ps := c.meta.pageSize
	if id < 2 || id >= c.meta.pgid {
		return nil, 0, 0, fmt.Errorf("%w: page %d out of range", ErrFormat, id)
	}
	if c.visited[id] {
		return nil, 0, 0, fmt.Errorf("%w: page %d reached twice", ErrFormat, id)
	}
	var hdr [pageHeaderSize]byte
	if _, err := c.f.ReadAt(hdr[:], int64(id*ps)); err != nil {
		return nil, 0, 0, fmt.Errorf("%w: page %d: %v", ErrFormat, id, err)
	}
	le := binary.NativeEndian
	overflow := uint64(le.Uint32(hdr[12:]))
	if le.Uint64(hdr[0:]) != id || id+overflow >= c.meta.pgid {
		return nil, 0, 0, fmt.Errorf("%w: page %d header", ErrFormat, id)
	}
	for i := id; i <= id+overflow; i++ {
		if c.visited[i] {
			return nil, 0, 0, fmt.Errorf("%w: page %d reached twice", ErrFormat, i)
		}
		c.visited[i] = true
	}
	buf = make([]byte, (overflow+1)*ps)
	if _, err := c.f.ReadAt(buf, int64(id*ps)); err != nil {
		return nil, 0, 0, fmt.Errorf("%w: page %d: %v", ErrFormat, id, err)
	}
	return buf, le.Uint16(hdr[8:]), le.Uint16(hdr[10:]), nil
}

func (c *pageChecker) checkFreelist(id uint64) error {
	buf, flags, count, err := c.read(id)
	if err != nil {
		return err
	}
	if flags != freelistFlag {
		return fmt.Errorf("%w: freelist page %d has flags %#x", ErrFormat, id, flags)
	}
	start, n := uint64(pageHeaderSize), uint64(count)
	if count == 0xFFFF {
		if len(buf) < pageHeaderSize+8 {
			return fmt.Errorf("%w: freelist page %d", ErrFormat, id)
		}
		n = binary.NativeEndian.Uint64(buf[pageHeaderSize:])
		start += 8
	}
	if n > (uint64(len(buf))-start)/8 {
		return fmt.Errorf("%w: freelist page %d overflows", ErrFormat, id)
	}
	for i := range n {
		if p := binary.NativeEndian.Uint64(buf[start+8*i:]); p < 2 || p >= c.meta.pgid {
			return fmt.Errorf("%w: freelist page %d lists page %d", ErrFormat, id, p)
		}
	}
	return nil
}

// checkTree validates the bucket tree rooted at page id.
func (c *pageChecker) checkTree(id uint64, depth int) error {
	if depth > maxTreeDepth {
		return fmt.Errorf("%w: bucket tree too deep", ErrFormat)
	}
	buf, flags, count, err := c.read(id)
	if err != nil {
		return err
	}
	return c.checkPage(id, buf, flags, count, depth)
}

// checkPage validates one branch or leaf page (or an inline bucket page)
// held in buf, and what it leads to.
func (c *pageChecker) checkPage(id uint64, buf []byte, flags, count uint16, depth int) error {
	le := binary.NativeEndian
	end := uint64(len(buf))
	if pageHeaderSize+uint64(count)*elementSize > end {
		return fmt.Errorf("%w: page %d: %d elements overflow it", ErrFormat, id, count)
	}
	switch flags {
	case branchFlag:
		if count == 0 {
			return fmt.Errorf("%w: empty branch page %d", ErrFormat, id)
		}
		for i := range uint64(count) {
			off := pageHeaderSize + i*elementSize
			e := buf[off:]
			pos, ksize := uint64(le.Uint32(e[0:])), uint64(le.Uint32(e[4:]))
			if off+pos+ksize > end {
				return fmt.Errorf("%w: page %d: branch element %d overflows", ErrFormat, id, i)
			}
			if err := c.checkTree(le.Uint64(e[8:]), depth+1); err != nil {
				return err
			}
		}
	case leafFlag:
		for i := range uint64(count) {
			off := pageHeaderSize + i*elementSize
			e := buf[off:]
			eflags := le.Uint32(e[0:])
			pos, ksize, vsize := uint64(le.Uint32(e[4:])), uint64(le.Uint32(e[8:])), uint64(le.Uint32(e[12:]))
			if off+pos+ksize+vsize > end {
				return fmt.Errorf("%w: page %d: leaf element %d overflows", ErrFormat, id, i)
			}
			if eflags&bucketLeafFlag == 0 {
				continue
			}
			v := buf[off+pos+ksize : off+pos+ksize+vsize]
			if len(v) < 16 {
				return fmt.Errorf("%w: page %d: bucket header too short", ErrFormat, id)
			}
			if root := le.Uint64(v); root != 0 {
				if err := c.checkTree(root, depth+1); err != nil {
					return err
				}
				continue
			}
			inline := v[16:]
			if len(inline) < pageHeaderSize {
				return fmt.Errorf("%w: page %d: inline bucket too short", ErrFormat, id)
			}
			if depth+1 > maxTreeDepth {
				return fmt.Errorf("%w: bucket tree too deep", ErrFormat)
			}
			if err := c.checkPage(id, inline, le.Uint16(inline[8:]), le.Uint16(inline[10:]), depth+1); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("%w: page %d has flags %#x", ErrFormat, id, flags)
	}
	return nil
}
