package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the database to path while the
// database stays in use, and returns the copy's size in bytes. VACUUM INTO
// reads one snapshot, so the copy holds every commit made before it started
// and none half-made; writers carry on meanwhile (WAL).
//
// The copy is written under a temporary name in path's directory, synced to
// disk (VACUUM INTO does not sync its output), and only then given its
// name, so an interrupted backup never carries it. An existing file at path
// is never replaced: the error then wraps fs.ErrExist. The copy is readable
// by its owner only, like the database (it holds keys and webhook secrets).
func (d *DB) Backup(ctx context.Context, path string) (int64, error) {
	// An absolute path never starts with "file:", so SQLite cannot take it
	// for a URI.
	target, err := filepath.Abs(path)
	if err != nil {
		return 0, fmt.Errorf("sqlite: backup: %w", err)
	}
	if err := refuseExisting(target); err != nil {
		return 0, err
	}
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".*.partial")
	if err != nil {
		return 0, fmt.Errorf("sqlite: backup: %w", err)
	}
	partial := tmp.Name()
	tmp.Close()
	defer os.Remove(partial) // gone already once the copy has its name

	// VACUUM INTO accepts an empty existing file, which CreateTemp made
	// with mode 0600 and a name nobody else holds.
	if _, err := d.db.ExecContext(ctx, "VACUUM INTO ?", partial); err != nil {
		return 0, fmt.Errorf("sqlite: backup: %w", err)
	}
	size, err := syncFile(partial)
	if err != nil {
		return 0, fmt.Errorf("sqlite: backup: %w", err)
	}
	// A hard link gives the copy its name only if no file has it (rename
	// would replace one); the temporary name is then dropped.
	if err := os.Link(partial, target); errors.Is(err, fs.ErrExist) {
		return 0, fmt.Errorf("sqlite: backup: %s: %w", target, fs.ErrExist)
	} else if err != nil {
		// A file system without hard links: check, then rename, which
		// leaves a short window for another writer of the same name.
		if err := refuseExisting(target); err != nil {
			return 0, err
		}
		if err := os.Rename(partial, target); err != nil {
			return 0, fmt.Errorf("sqlite: backup: %w", err)
		}
	}
	_ = os.Remove(partial)
	// Make the new name itself durable; best effort, as not every OS can
	// sync a directory.
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		f.Close()
	}
	return size, nil
}

func refuseExisting(path string) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("sqlite: backup: %s: %w", path, fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	return nil
}

// syncFile flushes a file to disk and returns its size.
func syncFile(path string) (int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return 0, err
	}
	info, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}
