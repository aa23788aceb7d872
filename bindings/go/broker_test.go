package gazette_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gazette "libgazette.dev/gazette"
)

// The dev broker every test talks to, started by TestMain (or a running
// broker named by GAZETTE_TEST_BROKER).
var (
	endpoint  string
	fileRoot  string
	journalNo int64
	control   func(cmd string) (string, error) // nil against a real broker
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if ep := os.Getenv("GAZETTE_TEST_BROKER"); ep != "" {
		endpoint, fileRoot = ep, os.Getenv("GAZETTE_TEST_FRAGMENT_ROOT")
		return m.Run()
	}
	bin := os.Getenv("GAZETTE_DEVBROKER")
	if bin == "" {
		bin, _ = filepath.Abs("../../target/debug/gazette-devbroker")
	}
	store, err := os.MkdirTemp("", "gazette-go-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(store)
	cmd := exec.Command(bin, "--store", store)
	stdin, _ := cmd.StdinPipe() // the broker exits when this closes
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "cannot start %s (build it with cargo build -p gazette-devbroker): %v\n", bin, err)
		return 1
	}
	defer cmd.Wait()
	defer stdin.Close()
	out := bufio.NewReader(stdout)
	line, err := out.ReadBytes('\n')
	if err != nil {
		fmt.Fprintln(os.Stderr, "dev broker did not start:", err)
		return 1
	}
	var ready struct {
		Endpoints []string `json:"endpoints"`
		Store     string   `json:"store"`
	}
	if err := json.Unmarshal(line, &ready); err != nil || len(ready.Endpoints) == 0 {
		fmt.Fprintf(os.Stderr, "unexpected dev broker line %q: %v\n", line, err)
		return 1
	}
	endpoint, fileRoot = ready.Endpoints[0], ready.Store
	var mu sync.Mutex
	control = func(cmd string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if _, err := io.WriteString(stdin, cmd+"\n"); err != nil {
			return "", err
		}
		reply, err := out.ReadString('\n')
		if err == nil && !strings.HasPrefix(reply, "ok") {
			err = fmt.Errorf("dev broker: %s: %s", cmd, reply)
		}
		return reply, err
	}
	return m.Run()
}

func newClient(t testing.TB) *gazette.Client {
	t.Helper()
	cl, err := gazette.NewClient(gazette.Config{Endpoints: []string{endpoint}, FileRoot: fileRoot})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close(context.Background()) })
	return cl
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newJournal creates a journal with a unique name and waits until a broker
// serves it: a broker may assign a fresh journal some time after the apply.
func newJournal(t testing.TB, cl *gazette.Client) string {
	t.Helper()
	ctx := testCtx(t)
	n := atomic.AddInt64(&journalNo, 1)
	tag := fmt.Sprintf("%d-%d-%d", os.Getpid(), time.Now().UnixNano(), n)
	name := "go-test/" + tag
	spec := &gazette.JournalSpec{
		Name:           name,
		Labels:         []gazette.Label{{Name: "go-test", Value: tag}},
		Replication:    1,
		FragmentLength: 1 << 20,
		Stores:         []string{"file:///"},
	}
	if _, err := cl.Apply(ctx, []gazette.Change{{Upsert: spec}}, 0); err != nil {
		t.Fatal("apply:", err)
	}
	if err := cl.AwaitAssignment(ctx, name); err != nil {
		t.Fatal("waiting for the journal's assignment:", err)
	}
	return name
}

// devControl sends a fault-injection command to the dev broker, skipping
// the test against a real broker.
func devControl(t testing.TB, cmd string) {
	t.Helper()
	if control == nil {
		t.Skip("needs the dev broker's fault injection (GAZETTE_TEST_BROKER is set)")
	}
	if _, err := control(cmd); err != nil {
		t.Fatal(err)
	}
}
