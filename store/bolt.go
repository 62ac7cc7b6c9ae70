package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

var (
	bucketMeta    = []byte("meta")
	bucketEntries = []byte("entries")
	metaSchema    = []byte("schema")
	metaKeyCheck  = []byte("keycheck")
)

// DefaultDir is os.UserCacheDir()/dytnsbatch.
func DefaultDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find the user cache directory (set --cache DIR): %w", err)
	}
	return filepath.Join(d, "dytnsbatch"), nil
}

// Files are an embedded store's data and secret key.
func Files(dir, id string) (db, key string) {
	base := filepath.Join(dir, "store-"+id)
	return base + ".db", base + ".key"
}

type boltBackend struct {
	db   *bolt.DB
	path string
}

func openBolt(dir, id string, lockTimeout time.Duration) (*boltBackend, []byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create the store directory %s: %w", dir, err)
	}
	dbPath, keyPath := Files(dir, id)
	secret, err := loadOrCreateSecret(keyPath)
	if err != nil {
		return nil, nil, err
	}
	db, err := openBoltFile(dbPath, lockTimeout, false)
	if err != nil {
		return nil, nil, err
	}
	if err := initBolt(db, secret); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("store %s: %w", dbPath, err)
	}
	return &boltBackend{db: db, path: dbPath}, secret, nil
}

func openBoltFile(path string, lockTimeout time.Duration, readOnly bool) (db *bolt.DB, err error) {
	err = guard(func() error {
		db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout, ReadOnly: readOnly, FreelistType: bolt.FreelistMapType, NoFreelistSync: true})
		return err
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("store %s is in use by another dytnsbatch process (waited %v for its lock; use Redis to share a store between processes)", path, lockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return db, nil
}

// keyCheck lets a store notice that its secret was replaced (the key file lost):
// entries keyed with the old secret can never be found again and are dropped.
func keyCheck(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("dytnsbatch-store-keycheck"))
	return m.Sum(nil)[:8]
}

func initBolt(db *bolt.DB, secret []byte) error {
	return guard(func() error {
		return db.Update(func(tx *bolt.Tx) error {
			meta, err := tx.CreateBucketIfNotExists(bucketMeta)
			if err != nil {
				return err
			}
			if v := meta.Get(metaSchema); v != nil {
				n, err := strconv.Atoi(string(v))
				if err != nil {
					return fmt.Errorf("unreadable schema version %q", v)
				}
				if n > SchemaVersion {
					return fmt.Errorf("schema version %d, %w (this one reads %d): use that version, or another --cache", n, ErrNewerSchema, SchemaVersion)
				}
			}
			if err := meta.Put(metaSchema, []byte(strconv.Itoa(SchemaVersion))); err != nil {
				return err
			}
			kc := keyCheck(secret)
			if old := meta.Get(metaKeyCheck); old != nil && !bytes.Equal(old, kc) {
				if err := tx.DeleteBucket(bucketEntries); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
					return err
				}
			}
			if err := meta.Put(metaKeyCheck, kc); err != nil {
				return err
			}
			_, err = tx.CreateBucketIfNotExists(bucketEntries)
			return err
		})
	})
}

// loadOrCreateSecret reads the store's HMAC key, creating it on first use. Two
// processes creating it at once agree on one: each writes its own temporary file and
// links it into place; link fails for all but the first, which the others then read.
func loadOrCreateSecret(path string) ([]byte, error) {
	if s, err := readSecret(path); err == nil || !errors.Is(err, os.ErrNotExist) {
		return s, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("make the store key: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".store-key-*")
	if err != nil {
		return nil, fmt.Errorf("create the store key: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.WriteString(hex.EncodeToString(raw) + "\n")
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o600) // CreateTemp makes 0600; say so anyway
	}
	if werr != nil {
		return nil, fmt.Errorf("write the store key: %w", werr)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("create the store key %s: %w", path, err)
	}
	return readSecret(path)
}

func readSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the store key: %w", err)
	}
	s, err := hex.DecodeString(string(bytes.TrimSpace(b)))
	if err != nil || len(s) < 16 {
		return nil, fmt.Errorf("the store key %s is damaged (remove it and the .db beside it to start afresh)", path)
	}
	return s, nil
}

func (b *boltBackend) describe() string { return b.path }

func (b *boltBackend) get(k Key) (v []byte, err error) {
	err = b.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketEntries)
		if bk == nil {
			return errors.New("entries bucket missing")
		}
		if got := bk.Get(k[:]); got != nil {
			v = append([]byte(nil), got...)
		}
		return nil
	})
	return v, err
}

// eachKey: the bbolt file is locked for this process, so the keys it holds at open
// and the ones this process adds are all there is.
func (b *boltBackend) eachKey(f func(k []byte)) (bool, error) {
	err := b.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketEntries)
		if bk == nil {
			return nil
		}
		c := bk.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			f(append([]byte(nil), k...))
		}
		return nil
	})
	return true, err
}

func (b *boltBackend) put(batch []record) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketEntries)
		if bk == nil {
			return errors.New("entries bucket missing")
		}
		for _, r := range batch {
			if err := bk.Put(r.key[:], r.value); err != nil {
				return err
			}
		}
		return nil
	})
}

// sweep deletes expired entries, a chunk per transaction so that the run's writes
// wait at most one chunk, and stops when budget is spent.
func (b *boltBackend) sweep(now time.Time, budget time.Duration) (int, error) {
	deadline := time.Now().Add(budget)
	var from []byte
	removed := 0
	for time.Now().Before(deadline) {
		done := false
		err := b.db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket(bucketEntries)
			if bk == nil {
				done = true
				return nil
			}
			c := bk.Cursor()
			k, v := c.First()
			if from != nil {
				k, v = c.Seek(from)
			}
			var dead [][]byte
			for n := 0; n < 5000; n++ {
				if k == nil {
					done = true
					break
				}
				if a, err := decode(v); err != nil || !a.Expires.After(now) {
					dead = append(dead, append([]byte(nil), k...))
				}
				k, v = c.Next()
			}
			if k != nil {
				from = append(from[:0], k...)
			}
			for _, d := range dead {
				if err := bk.Delete(d); err != nil {
					return err
				}
			}
			removed += len(dead)
			return nil
		})
		if err != nil || done {
			return removed, err
		}
	}
	return removed, nil
}

func (b *boltBackend) close() error { return b.db.Close() }
