// Command porcupine-check reads register histories as JSON on stdin and checks each with Porcupine
// (github.com/anishathalye/porcupine), printing one JSON line per history: its verdict and the time
// the check took. It is the reference bench/checker compares the lab's own checker against.
//
// Input: {"histories": [{"ops": [op, ...]}, ...]} where an op is
//
//	{"process": 0, "key": "k", "input": {"f": "read"|"write"|"cas", "value": "", "expected": ""},
//	 "output": null | {"f": "read", "value": ""} | {"f": "write"} | {"f": "cas", "swapped": true}
//	           | {"f": "cas", "swapped": false, "current": ""},
//	 "call": 1, "ret": 2 | null}
//
// An op with a null output (its outcome unknown) returns at infinity and may take effect at any point
// after its call, or never (placed last, where it changes nothing anyone saw). Times are ms.
// Output lines: {"index": 0, "valid": "true"|"false"|"unknown", "ms": 1.25, "ops": 1000}.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/anishathalye/porcupine"
)

type input struct {
	F        string `json:"f"`
	Value    string `json:"value"`
	Expected string `json:"expected"`
}

type output struct {
	F       string `json:"f"`
	Value   string `json:"value"`
	Swapped bool   `json:"swapped"`
	Current string `json:"current"`
}

type op struct {
	Process int      `json:"process"`
	Key     string   `json:"key"`
	Input   input    `json:"input"`
	Output  *output  `json:"output"`
	Call    float64  `json:"call"`
	Ret     *float64 `json:"ret"`
}

type keyed struct {
	key   string
	input input
}

var model = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, o := range history {
			k := o.Input.(keyed).key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], o)
		}
		parts := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, byKey[k])
		}
		return parts
	},
	Init: func() interface{} { return "" },
	Step: func(state, in, out interface{}) (bool, interface{}) {
		s := state.(string)
		i := in.(keyed).input
		o, _ := out.(*output)
		switch i.F {
		case "read":
			return o == nil || o.Value == s, s
		case "write":
			return true, i.Value
		case "cas":
			if o == nil {
				if s == i.Expected {
					return true, i.Value
				}
				return true, s
			}
			if o.Swapped {
				return s == i.Expected, i.Value
			}
			return s != i.Expected && s == o.Current, s
		}
		return false, s
	},
	Equal: func(a, b interface{}) bool { return a.(string) == b.(string) },
}

// sourceHash is set at build time (scripts/setup-porcupine.sh) to the hash of this program's sources,
// so setup can tell a current binary from a stale one.
var sourceHash = "dev"

func ms(t float64) int64 { return int64(math.Round(t * 1000)) }

func main() {
	timeout := flag.Duration("timeout", 0, "per-history time limit (0: none); a history not decided in time is unknown")
	version := flag.Bool("version", false, "print the hash of the sources this binary was built from")
	flag.Parse()
	if *version {
		fmt.Println(sourceHash)
		return
	}
	var doc struct {
		Histories []struct {
			Ops []op `json:"ops"`
		} `json:"histories"`
	}
	dec := json.NewDecoder(bufio.NewReaderSize(os.Stdin, 1<<20))
	if err := dec.Decode(&doc); err != nil {
		fmt.Fprintf(os.Stderr, "porcupine-check: bad input on stdin: %v\n", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for index, h := range doc.Histories {
		history := make([]porcupine.Operation, 0, len(h.Ops))
		for _, o := range h.Ops {
			ret := int64(math.MaxInt64)
			var result interface{}
			if o.Ret != nil && o.Output != nil {
				ret = ms(*o.Ret)
				result = o.Output
			}
			history = append(history, porcupine.Operation{
				ClientId: o.Process,
				Input:    keyed{o.Key, o.Input},
				Call:     ms(o.Call),
				Output:   result,
				Return:   ret,
			})
		}
		start := time.Now()
		res := porcupine.CheckOperationsTimeout(model, history, *timeout)
		elapsed := time.Since(start)
		valid := "unknown"
		switch res {
		case porcupine.Ok:
			valid = "true"
		case porcupine.Illegal:
			valid = "false"
		}
		line, _ := json.Marshal(map[string]interface{}{
			"index": index, "valid": valid, "ms": float64(elapsed.Microseconds()) / 1000, "ops": len(history),
		})
		out.Write(line)
		out.WriteByte('\n')
	}
}
