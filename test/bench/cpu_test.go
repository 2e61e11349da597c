// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc; 100 on every Linux the benchmark runs on.
const clockTicks = 100

// cpuComponents are the processes whose CPU time the benchmark accounts for, by name.
type cpuComponents map[string]int

// cpuReading is the CPU time, in seconds, of each component and of the whole machine at one moment.
type cpuReading struct {
	at        time.Time
	byName    map[string]float64
	busy      float64 // all CPUs, all processes, not idle
	available float64 // all CPUs
}

// cpuUse is how the machine's CPU time was spent during a phase.
type cpuUse struct {
	Seconds float64            `json:"seconds"`
	ByName  map[string]float64 `json:"cpuSecondsByProcess"`
	// Other is busy time of processes the benchmark did not start (other work on the machine) and of the kernel.
	Other float64 `json:"otherCPUSeconds"`
	// BusyShare is busy CPU time over all CPUs' time: 1 means every CPU was busy all along.
	BusyShare float64 `json:"busyShare"`
}

func readCPU(components cpuComponents) cpuReading {
	r := cpuReading{at: time.Now(), byName: map[string]float64{}}
	for name, pid := range components {
		if s, err := processCPU(pid); err == nil {
			r.byName[name] = s
		}
	}
	r.busy, r.available = machineCPU()
	return r
}

func (r cpuReading) since(before cpuReading) cpuUse {
	u := cpuUse{Seconds: r.at.Sub(before.at).Seconds(), ByName: map[string]float64{}}
	busy := r.busy - before.busy
	known := 0.0
	for name, v := range r.byName {
		// A process missing before started in between: all its CPU time belongs to the phase.
		b := before.byName[name]
		u.ByName[name] = v - b
		known += v - b
	}
	u.Other = max(0, busy-known)
	if avail := r.available - before.available; avail > 0 {
		u.BusyShare = busy / avail
	}
	return u
}

// processCPU returns user plus system time of one process, from /proc/<pid>/stat.
func processCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces; the fields that follow it start after its closing parenthesis.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(s[i+1:])
	// utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / clockTicks, nil
}

// machineCPU returns the busy and the total CPU time of all CPUs, from /proc/stat.
func machineCPU() (busy, total float64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0
	}
	var idle float64
	// user nice system idle iowait irq softirq steal; guest time is already counted in user.
	for i, v := range f[1:min(len(f), 9)] {
		n, _ := strconv.ParseFloat(v, 64)
		total += n
		if i == 3 || i == 4 {
			idle += n
		}
	}
	return (total - idle) / clockTicks, total / clockTicks
}
