package load

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// serverLog is what the app's own log says about the run: every request it
// answered (the shoppers', the adapters' calls to the sandboxes, the
// sandboxes' notifications to us) and every warning and error.
type serverLog struct {
	Lines    int            `json:"lines"`
	Levels   map[string]int `json:"levels"`
	Statuses map[string]int `json:"http_statuses"` // "<path group> <status class>"
	Messages map[string]int `json:"warnings_and_errors"`
	problems []string
	expected func(requestID string) bool
}

// pathGroup names where a request went: our pages, the API, notifications,
// static files, or a provider's sandbox (which plays a third party).
func pathGroup(path string) string {
	parts := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 3)
	switch parts[0] {
	case "c":
		return "pages"
	case "v1":
		return "api"
	case "notify":
		return "notify"
	case "static":
		return "static"
	case "sandbox":
		if len(parts) > 1 {
			return "sandbox/" + parts[1]
		}
	}
	return "other"
}

// readServerLog reads the JSON log. Any 4xx or 5xx the app itself answered
// (outside the sandboxes, whose 500s the 0119 card asks for), any panic and
// any error other than a request line is a problem.
//
// A run on a fleet reads each instance's log; the last line of an instance
// that was SIGKILLed may be cut in the middle, and is only counted.
//
// expected (nil: none) names the requests whose error answer the run
// expected; they are counted apart.
func readServerLog(expected func(requestID string) bool, files ...logFile) (*serverLog, error) {
	l := &serverLog{Levels: map[string]int{}, Statuses: map[string]int{}, Messages: map[string]int{}, expected: expected}
	for _, f := range files {
		if err := l.read(f); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// banner is what web.Serve prints between the log's lines once the server
// is ready (an instance of a fleet logs to the same file).
var banner = regexp.MustCompile(`^$|^Hosted checkout \(\w+ mode\) on \S+$|^  database: \S+$`)

// logFile is one log of the server (one per instance and start).
type logFile struct {
	Path   string
	Killed bool // SIGKILLed: its last line may be cut
}

func (l *serverLog) read(file logFile) error {
	f, err := os.Open(file.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	cutLine := -1
	// The error behind each failed request, by request id: a request whose
	// caller gave up (context canceled) is the caller's timeout, not the
	// app's fault, and is only counted.
	canceled := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var rec struct {
			Level     string `json:"level"`
			Msg       string `json:"msg"`
			Method    string `json:"method"`
			Path      string `json:"path"`
			Status    int    `json:"status"`
			RequestID string `json:"request_id"`
			Err       string `json:"err"`
		}
		l.Lines++
		if banner.Match(sc.Bytes()) {
			continue // what checkout prints to stderr when it starts (web.Serve)
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			if file.Killed && cutLine < 0 {
				cutLine = l.Lines // fine if it is the last
				continue
			}
			l.problems = append(l.problems, fmt.Sprintf("log line %d is not JSON: %v", l.Lines, err))
			continue
		}
		if cutLine >= 0 {
			l.problems = append(l.problems, fmt.Sprintf("log line %d is not JSON", cutLine))
			cutLine = -1
		}
		l.Levels[rec.Level]++
		if rec.Msg == "http" {
			group := pathGroup(rec.Path)
			l.Statuses[fmt.Sprintf("%s %dxx", group, rec.Status/100)]++
			if rec.Status >= 500 && canceled[rec.RequestID] {
				l.Statuses[group+" 5xx, caller gave up"]++
				continue
			}
			if rec.Status >= 400 && l.expected != nil && l.expected(rec.RequestID) {
				l.Statuses[fmt.Sprintf("%s %d, expected", group, rec.Status)]++
				continue
			}
			if rec.Status >= 400 && !strings.HasPrefix(group, "sandbox/") {
				l.problems = append(l.problems, fmt.Sprintf("the app answered HTTP %d to %s %s (%s)", rec.Status, rec.Method, rec.Path, rec.RequestID))
			}
			continue
		}
		if rec.Level == "WARN" || rec.Level == "ERROR" {
			l.Messages[rec.Level+" "+rec.Msg]++
		}
		if rec.Msg == "request failed" && strings.HasSuffix(rec.Err, "context canceled") {
			canceled[rec.RequestID] = true
			continue
		}
		if rec.Level == "ERROR" || rec.Msg == "panic" {
			l.problems = append(l.problems, fmt.Sprintf("the app logged %s %q: %s (%s)", rec.Level, rec.Msg, rec.Err, rec.RequestID))
		}
	}
	if cutLine >= 0 {
		l.Messages["a last line cut by SIGKILL"]++
	}
	return sc.Err()
}
