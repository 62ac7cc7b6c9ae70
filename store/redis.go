package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis layout, for a store ID:
//
//	dytnsbatch:ID:meta      hash, field schema = SchemaVersion
//	dytnsbatch:ID:secret    the HMAC key (hex), created with SETNX
//	dytnsbatch:ID:e:HEXKEY  an entry (see encode), with a TTL to its ExpireTime
const redisRoot = "dytnsbatch:"

// Timeouts are short: the store saves calls, it must never hold a run up. A Redis
// that does not answer within them counts as down for the rest of the run.
const (
	redisDialTimeout = time.Second
	redisOpTimeout   = 500 * time.Millisecond
)

type redisBackend struct {
	c      *redis.Client
	prefix string
	where  string
}

// RedactURL shows a Redis URL without its user and password.
func RedactURL(loc string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return "redis (unparseable URL)"
	}
	u.User = nil
	return u.String()
}

// go-redis logs dial failures itself, once per attempt; the store says once why it
// stopped, and that is enough.
func init() { redis.SetLogger(quiet{}) }

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func redisClient(loc string) (*redis.Client, error) {
	opt, err := redis.ParseURL(loc)
	if err != nil {
		return nil, fmt.Errorf("--cache %s: %w", RedactURL(loc), err)
	}
	opt.DialTimeout = redisDialTimeout
	opt.ReadTimeout = redisOpTimeout
	opt.WriteTimeout = redisOpTimeout
	opt.MaxRetries = 0 // a failed command turns the store off; retrying only delays the run
	opt.DialerRetries = 1
	opt.PoolSize = 8
	return redis.NewClient(opt), nil
}

func openRedis(loc, id string) (*redisBackend, []byte, error) {
	c, err := redisClient(loc)
	if err != nil {
		return nil, nil, err
	}
	b := &redisBackend{c: c, prefix: redisRoot + id + ":", where: RedactURL(loc)}
	secret, err := b.init()
	if err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("store %s: %w", b.where, err)
	}
	return b, secret, nil
}

func opCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 2*redisOpTimeout)
}

func (b *redisBackend) init() ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := b.c.HSetNX(ctx, b.prefix+"meta", "schema", SchemaVersion).Err(); err != nil {
		return nil, err
	}
	v, err := b.c.HGet(ctx, b.prefix+"meta", "schema").Result()
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return nil, fmt.Errorf("unreadable schema version %q", v)
	}
	if n > SchemaVersion {
		return nil, fmt.Errorf("schema version %d, %w (this one reads %d): use that version, or another --cache", n, ErrNewerSchema, SchemaVersion)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	// SETNX: of two processes starting at once, one creates the key and both use it.
	if err := b.c.SetNX(ctx, b.prefix+"secret", hex.EncodeToString(raw), 0).Err(); err != nil {
		return nil, err
	}
	got, err := b.c.Get(ctx, b.prefix+"secret").Result()
	if err != nil {
		return nil, err
	}
	secret, err := hex.DecodeString(got)
	if err != nil || len(secret) < 16 {
		return nil, errors.New("its secret key is damaged (cache purge --all starts it afresh)")
	}
	return secret, nil
}

func (b *redisBackend) entryKey(k Key) string { return b.prefix + "e:" + hex.EncodeToString(k[:]) }

func (b *redisBackend) describe() string { return b.where }

func (b *redisBackend) get(k Key) ([]byte, error) {
	ctx, cancel := opCtx()
	defer cancel()
	v, err := b.c.Get(ctx, b.entryKey(k)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return v, err
}

// eachKey declines: other processes may fill a shared store during the run.
func (b *redisBackend) eachKey(func([]byte)) (bool, error) { return false, nil }

func (b *redisBackend) put(batch []record) error {
	ctx, cancel := opCtx()
	defer cancel()
	now := time.Now()
	_, err := b.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, r := range batch {
			ttl := r.expires.Sub(now)
			if ttl <= 0 {
				continue
			}
			p.Set(ctx, b.entryKey(r.key), r.value, ttl)
		}
		return nil
	})
	return err
}

// sweep has nothing to do: Redis drops entries at their TTL, which is their expiry.
func (b *redisBackend) sweep(time.Time, time.Duration) (int, error) { return 0, nil }

func (b *redisBackend) close() error { return b.c.Close() }
