package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"
)

// Info describes one store, for `dytnsbatch cache stats`.
type Info struct {
	ID        string // StoreID: which account, AuthCode and endpoint, hashed
	Location  string // file path or redacted Redis URL
	Entries   int64  // stored answers, expired ones included
	Expired   int64  // past their ExpireTime (swept by the next run or purge --expired)
	Within24h int64  // still valid but expiring within 24 h
	Within7d  int64  // still valid but expiring within 7 days (24 h included)
	Bytes     int64  // file size, or the bytes of keys and values in Redis
}

func (in *Info) count(v []byte, now time.Time) {
	in.Entries++
	a, err := decode(v)
	if err != nil || !a.Expires.After(now) {
		in.Expired++
		return
	}
	left := a.Expires.Sub(now)
	if left <= 24*time.Hour {
		in.Within24h++
	}
	if left <= 7*24*time.Hour {
		in.Within7d++
	}
}

// Location resolves "" to the default directory.
func Location(loc string) (string, error) {
	if loc != "" {
		return loc, nil
	}
	return DefaultDir()
}

// Inspect lists the stores at a location (every account's).
func Inspect(loc string, now time.Time) ([]Info, error) {
	loc, err := Location(loc)
	if err != nil {
		return nil, err
	}
	if IsRedis(loc) {
		return inspectRedis(loc, now)
	}
	dbs, err := filepath.Glob(filepath.Join(loc, "store-*.db"))
	if err != nil {
		return nil, err
	}
	sort.Strings(dbs)
	var out []Info
	for _, p := range dbs {
		in := Info{ID: strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "store-"), ".db"), Location: p}
		if st, err := os.Stat(p); err == nil {
			in.Bytes = st.Size()
		}
		db, err := openBoltFile(p, 2*time.Second, true)
		if err != nil {
			return out, err
		}
		err = guard(func() error {
			return db.View(func(tx *bolt.Tx) error {
				bk := tx.Bucket(bucketEntries)
				if bk == nil {
					return nil
				}
				return bk.ForEach(func(_, v []byte) error { in.count(v, now); return nil })
			})
		})
		db.Close()
		if err != nil {
			return out, fmt.Errorf("read store %s: %w", p, err)
		}
		out = append(out, in)
	}
	return out, nil
}

// Purge removes expired entries (all = false) or whole stores (all = true) at a
// location, and returns how many entries went.
func Purge(loc string, all bool, now time.Time) (int64, error) {
	loc, err := Location(loc)
	if err != nil {
		return 0, err
	}
	if IsRedis(loc) {
		return purgeRedis(loc, all)
	}
	dbs, err := filepath.Glob(filepath.Join(loc, "store-*.db"))
	if err != nil {
		return 0, err
	}
	var removed int64
	for _, p := range dbs {
		db, err := openBoltFile(p, 2*time.Second, false)
		if err != nil {
			return removed, err
		}
		if all {
			// Holding the lock proves no run uses the store; remove it with its key.
			var n int
			_ = guard(func() error {
				return db.View(func(tx *bolt.Tx) error {
					if bk := tx.Bucket(bucketEntries); bk != nil {
						n = bk.Stats().KeyN
					}
					return nil
				})
			})
			key := strings.TrimSuffix(p, ".db") + ".key"
			rerr := errors.Join(os.Remove(p), ignoreMissing(os.Remove(key)))
			db.Close()
			if rerr != nil {
				return removed, fmt.Errorf("remove store %s: %w", p, rerr)
			}
			removed += int64(n)
			continue
		}
		b := &boltBackend{db: db, path: p}
		n, err := b.sweep(now, time.Hour)
		db.Close()
		removed += int64(n)
		if err != nil {
			return removed, fmt.Errorf("purge store %s: %w", p, err)
		}
	}
	return removed, nil
}

func ignoreMissing(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// redisStoreIDs finds the stores in a Redis database by their meta keys.
func redisStoreIDs(ctx context.Context, c *redis.Client) ([]string, error) {
	var ids []string
	it := c.Scan(ctx, 0, redisRoot+"*:meta", 1000).Iterator()
	for it.Next(ctx) {
		id := strings.TrimSuffix(strings.TrimPrefix(it.Val(), redisRoot), ":meta")
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, it.Err()
}

func inspectRedis(loc string, now time.Time) ([]Info, error) {
	c, err := redisClient(loc)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ids, err := redisStoreIDs(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", RedactURL(loc), err)
	}
	var out []Info
	for _, id := range ids {
		in := Info{ID: id, Location: RedactURL(loc)}
		it := c.Scan(ctx, 0, redisRoot+id+":e:*", 1000).Iterator()
		var keys []string
		flush := func() error {
			if len(keys) == 0 {
				return nil
			}
			vals, err := c.MGet(ctx, keys...).Result()
			if err != nil {
				return err
			}
			for i, v := range vals {
				if s, ok := v.(string); ok {
					in.count([]byte(s), now)
					in.Bytes += int64(len(keys[i]) + len(s))
				}
			}
			keys = keys[:0]
			return nil
		}
		for it.Next(ctx) {
			if keys = append(keys, it.Val()); len(keys) == 500 {
				if err := flush(); err != nil {
					return out, err
				}
			}
		}
		if err := errors.Join(it.Err(), flush()); err != nil {
			return out, fmt.Errorf("%s: %w", RedactURL(loc), err)
		}
		out = append(out, in)
	}
	return out, nil
}

func purgeRedis(loc string, all bool) (int64, error) {
	if !all {
		return 0, nil // Redis drops each entry at its TTL, which is its ExpireTime
	}
	c, err := redisClient(loc)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ids, err := redisStoreIDs(ctx, c)
	if err != nil {
		return 0, err
	}
	var removed int64
	for _, id := range ids {
		it := c.Scan(ctx, 0, redisRoot+id+":*", 1000).Iterator()
		var keys []string
		for it.Next(ctx) {
			keys = append(keys, it.Val())
		}
		if err := it.Err(); err != nil {
			return removed, err
		}
		for i := 0; i < len(keys); i += 500 {
			batch := keys[i:min(i+500, len(keys))]
			if err := c.Unlink(ctx, batch...).Err(); err != nil {
				return removed, err
			}
			for _, k := range batch {
				if strings.HasPrefix(k, redisRoot+id+":e:") {
					removed++
				}
			}
		}
	}
	return removed, nil
}
