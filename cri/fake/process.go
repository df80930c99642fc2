package fake

import (
	"path"
	"strconv"
	"strings"
	"time"
)

// stepKind is one simulated action of a container's or exec's process.
type stepKind int

const (
	stepEcho     stepKind = iota // write text to stdout or stderr
	stepStatus                   // set the exit status (true, false)
	stepExit                     // exit with a code
	stepSleep                    // wait
	stepForever                  // run until stopped (servers, unknown programs)
	stepTrapTerm                 // ignore SIGTERM from now on
)

type step struct {
	kind   stepKind
	text   string
	stderr bool
	code   int32
	d      time.Duration
}

// program turns a command line into the steps the fake simulates. It knows
// a few programs (true, false, sleep N, echo) and a small subset of
// `sh -c` scripts: statements separated by ";", "&&" or newlines among
// echo [>&2], exit N, sleep N, true, false and trap "" TERM. Any other
// program runs until stopped, like a server.
func program(argv []string) []step {
	if len(argv) == 0 {
		return []step{{kind: stepForever}}
	}
	switch base := path.Base(argv[0]); {
	case (base == "sh" || base == "ash" || base == "bash") && len(argv) >= 3 && argv[1] == "-c":
		return script(argv[2])
	default:
		return []step{statement(append([]string{base}, argv[1:]...))}
	}
}

func script(s string) []step {
	var steps []step
	s = strings.NewReplacer("&&", ";", "\n", ";").Replace(s)
	for _, stmt := range strings.Split(s, ";") {
		words := strings.Fields(stmt)
		if len(words) == 0 {
			continue
		}
		steps = append(steps, statement(words))
	}
	return steps
}

func statement(words []string) step {
	arg := func(i int) string {
		if i < len(words) {
			return strings.Trim(words[i], `"'`)
		}
		return ""
	}
	switch words[0] {
	case "echo":
		rest, stderr := words[1:], false
		if n := len(rest); n > 0 && (rest[n-1] == ">&2" || rest[n-1] == "1>&2") {
			rest, stderr = rest[:n-1], true
		}
		text := strings.NewReplacer(`"`, "", `'`, "").Replace(strings.Join(rest, " "))
		return step{kind: stepEcho, text: text + "\n", stderr: stderr}
	case "true":
		return step{kind: stepStatus}
	case "false":
		return step{kind: stepStatus, code: 1}
	case "exit":
		n, _ := strconv.Atoi(arg(1))
		return step{kind: stepExit, code: int32(n)}
	case "sleep":
		if arg(1) == "infinity" {
			return step{kind: stepForever}
		}
		secs, err := strconv.ParseFloat(arg(1), 64)
		if err != nil || secs < 0 {
			return step{kind: stepForever}
		}
		return step{kind: stepSleep, d: time.Duration(secs * float64(time.Second))}
	case "trap":
		if strings.Contains(strings.Join(words, " "), "TERM") {
			return step{kind: stepTrapTerm}
		}
		return step{kind: stepStatus}
	}
	return step{kind: stepForever}
}
