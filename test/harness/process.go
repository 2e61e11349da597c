// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process is a running binary whose output is kept in a file.
type Process struct {
	Name    string
	Cmd     *exec.Cmd
	LogPath string
	done    chan struct{}
}

// StartProcess runs a binary in its own process group, its output in a log file in dir.
func StartProcess(dir, name, bin string, env []string, args ...string) (*Process, error) {
	logPath := filepath.Join(dir, fmt.Sprintf("%s-%d.log", name, time.Now().UnixNano()))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, err
	}
	p := &Process{Name: name, Cmd: cmd, LogPath: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); _ = logFile.Close(); close(p.done) }()
	return p, nil
}

// Kill ends the process and its children at once, as a crash would.
func (p *Process) Kill() {
	_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// Stop asks the process and its children to end and waits for them.
func (p *Process) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.Kill()
	}
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Logs returns what the process printed so far.
func (p *Process) Logs() string {
	b, _ := os.ReadFile(p.LogPath)
	return string(b)
}

// Tail returns the last lines of what the process printed so far, for failure messages.
func (p *Process) Tail(lines int) string {
	all := strings.Split(strings.TrimRight(p.Logs(), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// tcpStates names the states of /proc/net/tcp.
var tcpStates = map[string]string{
	"01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1", "05": "FIN_WAIT2", "06": "TIME_WAIT",
	"07": "CLOSE", "08": "CLOSE_WAIT", "09": "LAST_ACK", "0A": "LISTEN", "0B": "CLOSING",
}

// ConnectionsTo counts the TCP sockets that the process holds open towards remotePort, by state.
func (p *Process) ConnectionsTo(remotePort int) (map[string]int, error) {
	sockets, err := p.tcpSockets()
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, s := range sockets {
		if int(s.remote.Port()) == remotePort {
			counts[s.state]++
		}
	}
	return counts, nil
}

// Listening returns the local addresses of the TCP sockets on which the process listens.
func (p *Process) Listening() ([]netip.AddrPort, error) {
	sockets, err := p.tcpSockets()
	if err != nil {
		return nil, err
	}
	var out []netip.AddrPort
	for _, s := range sockets {
		if s.state == "LISTEN" {
			out = append(out, s.local)
		}
	}
	return out, nil
}

// ServingURL waits until the process listens on a loopback port that answers an HTTP GET of path with 200 OK, and
// returns that port's base URL (http://127.0.0.1:port). It finds a server that the process bound to port 0 itself,
// such as the manager's metrics endpoint (--metrics-bind-address 127.0.0.1:0 --metrics-secure=false) or its pprof
// endpoint (path /debug/pprof/): controller-runtime binds them inside the manager and reports the address it got to
// nobody (its log repeats the flag), so the socket is read from /proc and told from the process's other listeners
// by the path it serves.
func (p *Process) ServingURL(limit time.Duration, path string) (string, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	var found string
	err := WaitFor(limit, fmt.Sprintf("%s serving %s on a loopback port", p.Name, path), func() error {
		if p.Exited() {
			return fmt.Errorf("%s exited:\n%s", p.Name, p.Tail(20))
		}
		addrs, err := p.Listening()
		if err != nil {
			return err
		}
		answers := []string{}
		for _, addr := range addrs {
			if !addr.Addr().IsLoopback() {
				continue
			}
			base := "http://" + addr.String()
			resp, err := client.Get(base + path)
			if err != nil {
				answers = append(answers, err.Error())
				continue
			}
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				found = base
				return nil
			}
			answers = append(answers, fmt.Sprintf("%s: %s", base+path, resp.Status))
		}
		return fmt.Errorf("listening on %v: %v", addrs, answers)
	})
	return found, err
}

// tcpSocket is one TCP socket of /proc/<pid>/net/tcp or tcp6.
type tcpSocket struct {
	local, remote netip.AddrPort
	state         string
}

// tcpSockets reads the TCP sockets that the process holds. /proc/<pid>/net/tcp lists every socket of the network
// namespace, so the process's own are picked by the socket inodes of its file descriptors.
func (p *Process) tcpSockets() ([]tcpSocket, error) {
	pid := p.Cmd.Process.Pid
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return nil, err
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join(fmt.Sprintf("/proc/%d/fd", pid), fd.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		if inode, ok := strings.CutPrefix(target, "socket:["); ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	var out []tcpSocket
	for _, table := range []string{"tcp", "tcp6"} {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || !inodes[f[9]] {
				continue
			}
			local, err := parseProcAddr(f[1])
			if err != nil {
				return nil, fmt.Errorf("/proc/%d/net/%s: %w", pid, table, err)
			}
			remote, err := parseProcAddr(f[2])
			if err != nil {
				return nil, fmt.Errorf("/proc/%d/net/%s: %w", pid, table, err)
			}
			out = append(out, tcpSocket{local: local, remote: remote, state: tcpStates[f[3]]})
		}
	}
	return out, nil
}

// parseProcAddr reads an address of /proc/net/tcp or tcp6: the IP in hex, as 32-bit words in the host's byte
// order, a colon, and the port in hex.
func parseProcAddr(s string) (netip.AddrPort, error) {
	ipHex, portHex, ok := strings.Cut(s, ":")
	raw, err := hex.DecodeString(ipHex)
	if !ok || err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("address %q", s)
	}
	port, err := strconv.ParseUint(portHex, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("address %q: %w", s, err)
	}
	ip := make([]byte, len(raw))
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(ip[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	addr, _ := netip.AddrFromSlice(ip)
	return netip.AddrPortFrom(addr.Unmap(), uint16(port)), nil
}

// cmdlines reads the command line of every running process, by pid.
func cmdlines() map[int][]string {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	out := map[int][]string{}
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil || len(b) == 0 {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		out[pid] = strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	}
	return out
}

// parentPID returns the parent of a process, from /proc/<pid>/stat.
func parentPID(pid int) (int, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name, which is in parentheses, start with the state and the parent pid.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) < 2 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(fields))
	}
	return strconv.Atoi(fields[1])
}

// APIServerPID finds the kube-apiserver that this process started and that serves host (an https://host:port URL).
func APIServerPID(host string) (int, error) {
	pid, _, err := apiServer(host, cmdlines())
	return pid, err
}

// ControlPlanePIDs finds the kube-apiserver that this process started and that serves host (an https://host:port
// URL), and the etcd behind it.
func ControlPlanePIDs(host string) (apiserver, etcd int, err error) {
	procs := cmdlines()
	apiserver, etcdURL, err := apiServer(host, procs)
	if err != nil {
		return 0, 0, err
	}
	for pid, args := range procs {
		if etcdURL != "" && filepath.Base(args[0]) == "etcd" && slices.Contains(args, "--listen-client-urls="+etcdURL) {
			etcd = pid
		}
	}
	if etcd == 0 {
		return apiserver, 0, fmt.Errorf("no etcd listens on %q, the kube-apiserver's --etcd-servers", etcdURL)
	}
	return apiserver, etcd, nil
}

// apiServer returns the pid of the kube-apiserver child of this process that serves host, and its --etcd-servers.
func apiServer(host string, procs map[int][]string) (pid int, etcdURL string, err error) {
	u, err := url.Parse(host)
	if err != nil {
		return 0, "", err
	}
	port := u.Port()
	for p, args := range procs {
		if filepath.Base(args[0]) != "kube-apiserver" || !slices.Contains(args, "--secure-port="+port) {
			continue
		}
		if ppid, err := parentPID(p); err != nil || ppid != os.Getpid() {
			continue
		}
		for _, a := range args {
			if v, ok := strings.CutPrefix(a, "--etcd-servers="); ok {
				etcdURL = v
			}
		}
		return p, etcdURL, nil
	}
	return 0, "", fmt.Errorf("no kube-apiserver child of this process serves port %s", port)
}
