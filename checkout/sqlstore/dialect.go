package sqlstore

import (
	"strings"
)

// dialect is the SQL a database speaks where SQLite and PostgreSQL differ.
// The statements are written once, in the SQL both share (? placeholders,
// which the PostgreSQL connection rewrites to $n; INDEXED BY hints, which
// it drops, PostgreSQL's planner choosing by statistics); the few
// functions that differ come from here.
type dialect int

const (
	sqliteDialect dialect = iota
	postgresDialect
)

func (d dialect) String() string {
	if d == postgresDialect {
		return "postgres"
	}
	return "sqlite"
}

// jsonText is the text at key of the JSON document in col (NULL when it
// has none).
func (d dialect) jsonText(col, key string) string {
	if d == postgresDialect {
		return "(" + col + "::jsonb ->> '" + key + "')"
	}
	return "json_extract(" + col + ", '$." + key + "')"
}

// jsonInt is the integer at key of the JSON document in col.
func (d dialect) jsonInt(col, key string) string {
	if d == postgresDialect {
		return "(" + col + "::jsonb ->> '" + key + "')::bigint"
	}
	return "json_extract(" + col + ", '$." + key + "')"
}

// greatest and least are the larger and smaller of two values.
func (d dialect) greatest(a, b string) string {
	if d == postgresDialect {
		return "GREATEST(" + a + ", " + b + ")"
	}
	return "max(" + a + ", " + b + ")"
}

func (d dialect) least(a, b string) string {
	if d == postgresDialect {
		return "LEAST(" + a + ", " + b + ")"
	}
	return "min(" + a + ", " + b + ")"
}

// skipLocked ends a SELECT that claims rows: on PostgreSQL the rows
// another transaction holds are skipped rather than waited for (SQLite's
// writers take turns: nothing is held).
func (d dialect) skipLocked() string {
	if d == postgresDialect {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// utcDay is a time in milliseconds (col) as its UTC day, 2006-01-02.
func (d dialect) utcDay(col string) string {
	if d == postgresDialect {
		return "to_char(to_timestamp(" + col + " / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
	}
	return "date(" + col + " / 1000, 'unixepoch')"
}

// rebind rewrites a statement written for SQLite for PostgreSQL: each ?
// outside quotes becomes $1, $2…, and INDEXED BY hints go.
func rebind(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(itoa(n))
			continue
		case c == 'I' && strings.HasPrefix(query[i:], "INDEXED BY "):
			// Skip the hint and the index name after it.
			j := i + len("INDEXED BY ")
			for j < len(query) && (query[j] == '_' || query[j] >= 'a' && query[j] <= 'z' || query[j] >= '0' && query[j] <= '9') {
				j++
			}
			i = j - 1
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
