package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"dytnsbatch/store"
)

const cacheSynopsis = "cache [--cache LOCATION] stats | path | purge --expired | purge --all"

// cacheOptions are the arguments of `dytnsbatch cache`.
type cacheOptions struct {
	location     string
	action       string // stats, path or purge
	expired, all bool   // purge: which entries
}

// parseCacheFlags parses and validates cache's arguments in one place.
func parseCacheFlags(args []string, stderr io.Writer) (*cacheOptions, error) {
	o := &cacheOptions{}
	fs := newFlagSet("cache", cacheSynopsis, stderr)
	fs.StringVar(&o.location, "cache", "", "result store `LOCATION`: a directory, or a redis:// or rediss:// URL (default: the user cache directory's dytnsbatch/)")
	fs.BoolVar(&o.expired, "expired", false, "purge: remove the entries whose 140 number has expired")
	fs.BoolVar(&o.all, "all", false, "purge: remove every store at the location, keys included")
	action, err := parseOne(fs, args, "action (stats, path or purge)")
	if err != nil {
		return nil, err
	}
	o.action = action
	switch {
	case action != "stats" && action != "path" && action != "purge":
		return nil, usageErr("cache: unknown action %q (stats, path or purge)", action)
	case action == "purge" && o.expired == o.all:
		return nil, usageErr("cache purge needs exactly one of --expired and --all")
	case action != "purge" && (o.expired || o.all):
		return nil, usageErr("--expired and --all go with cache purge only")
	}
	return o, nil
}

// CacheCommand inspects and cleans the result stores at a location (every account's:
// the subcommand needs no credentials).
func CacheCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseCacheFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	where, err := store.Location(o.location)
	if err != nil {
		return usageErr("%v", err)
	}
	shown := where
	if store.IsRedis(where) {
		shown = store.RedactURL(where)
	}
	switch o.action {
	case "path":
		fmt.Fprintln(stdout, shown)
		return nil
	case "stats":
		infos, err := store.Inspect(where, time.Now())
		if err != nil {
			return usageErr("cache stats: %v", err)
		}
		fmt.Fprintf(stdout, "location    %s\n", shown)
		if len(infos) == 0 {
			fmt.Fprintln(stdout, "stores      none")
		}
		for _, in := range infos {
			fmt.Fprintf(stdout, "store       %s\n", in.ID)
			fmt.Fprintf(stdout, "  where     %s\n", in.Location)
			fmt.Fprintf(stdout, "  entries   %d (%d expired)\n", in.Entries, in.Expired)
			fmt.Fprintf(stdout, "  expiring  %d within 24h, %d within 7d\n", in.Within24h, in.Within7d)
			fmt.Fprintf(stdout, "  size      %d bytes\n", in.Bytes)
		}
		return nil
	case "purge":
		n, err := store.Purge(where, o.all, time.Now())
		if err != nil {
			return usageErr("cache purge: %v", err)
		}
		what := "expired entries"
		if o.all {
			what = "entries (every store removed)"
		}
		fmt.Fprintf(stdout, "removed %d %s from %s\n", n, what, shown)
	}
	return nil
}
