package sqlstore

import (
	"database/sql"
	"encoding/json"
)

func jsonOrNull[T any](v *T) any {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return string(b)
}

func unmarshalNull[T any](s sql.NullString, dst **T) error {
	if !s.Valid {
		return nil
	}
	var v T
	if err := json.Unmarshal([]byte(s.String), &v); err != nil {
		return err
	}
	*dst = &v
	return nil
}

// unmarshalAll decodes pairs of (json string, destination).
func unmarshalAll(pairs ...any) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := json.Unmarshal([]byte(pairs[i].(string)), pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nonNilMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}
