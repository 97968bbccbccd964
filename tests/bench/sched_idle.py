#!/usr/bin/env python3
"""award -- where a CPU's idle time goes under load (make bench, issue 14).

Reads `perf script` output of `perf record -a -e sched:sched_switch -e
sched:sched_wakeup` on stdin and prints:
  * the idle time of all CPUs, and the part of it during which another
    CPU had a task that was runnable but not running (woken there and
    not yet run, or preempted): CPU the scheduler left unused while work
    waited, as opposed to idle for want of work;
  * those waiting tasks by command name, with how they came to wait;
  * the time from a wakeup to the run, for wakeups onto a busy CPU and
    onto an idle one, by command name;
  * the writer threads' time (award-writer): on a CPU, and off it by the
    state it left in: asleep (S: waiting for jobs, or for a lock),
    in uninterruptible wait (D: fdatasync, the disk) or preempted (R).
    A writer often asleep under load is a serial stage left waiting for
    work (round 10 of docs/bench-hotpath.md).
Usage: perf script -i FILE | sched_idle.py [TID=NAME ...]
  TID=NAME names a thread (the responder's poll thread, its writer).
Figures only: nothing is asserted.
"""
import collections
import re
import sys

EVENT = re.compile(r'^\s*(?P<comm>.+?)\s+(?P<pid>\d+)\s+\[(?P<cpu>\d+)\]\s+'
                   r'(?P<t>\d+\.\d+):\s+sched:(?P<ev>sched_switch|'
                   r'sched_wakeup):\s+(?P<rest>.*)$')
SWITCH = re.compile(r'prev_comm=(?P<pc>.*) prev_pid=(?P<pp>\d+) '
                    r'prev_prio=\d+ prev_state=(?P<st>\S+) ==> '
                    r'next_comm=(?P<nc>.*) next_pid=(?P<np>\d+)')
WRITER = 'award-writer'                     # fcgi/writer.c's thread name
WAKEUP = re.compile(r'comm=(?P<c>.*) pid=(?P<p>\d+) prio=\d+ '
                    r'target_cpu=(?P<tc>\d+)')


def main():
    names = dict(a.split('=', 1) for a in sys.argv[1:])
    comm = {}

    def name(pid):
        if pid in names:
            return names[pid]
        return re.split(r'[/:]', comm.get(pid, '?'))[0]

    running = {}                            # cpu -> pid
    waiting = collections.defaultdict(dict)  # cpu -> pid -> how
    woken = {}                              # pid -> (time, target idle)
    idle = idle_waited = 0.0
    by_task = collections.Counter()
    lat = collections.defaultdict(list)
    first = last = None
    writer_in = {}                          # pid -> when it went on a CPU
    writer_out = {}                         # pid -> (when it left, state)
    writer = collections.Counter()          # 'on', 'S', 'D', 'R' -> s
    writer_sleeps = 0
    for line in sys.stdin:
        m = EVENT.match(line)
        if m is None:
            continue
        t, cpu = float(m['t']), int(m['cpu'])
        if last is not None:
            d = t - last
            for c, p in running.items():
                if p != '0':
                    continue
                idle += d
                others = [w for o, ws in waiting.items() if o != c
                          for w in ws.items()]
                if others:
                    idle_waited += d
                    for p2, how in others:
                        by_task[(name(p2), how)] += d / len(others)
        else:
            first = t
        last = t
        if m['ev'] == 'sched_wakeup':
            w = WAKEUP.search(m['rest'])
            if w is None:
                continue
            p, tc = w['p'], int(w['tc'])
            comm[p] = w['c']
            for ws in waiting.values():
                ws.pop(p, None)
            waiting[tc][p] = 'woken'
            woken[p] = (t, running.get(tc) == '0')
            continue
        s = SWITCH.search(m['rest'])
        if s is None:
            continue
        comm[s['pp']], comm[s['np']] = s['pc'], s['nc']
        if s['pc'] == WRITER:
            if s['pp'] in writer_in:
                writer['on'] += t - writer_in.pop(s['pp'])
            writer_out[s['pp']] = (t, s['st'][0])
        if s['nc'] == WRITER:
            writer_in[s['np']] = t
            if s['np'] in writer_out:
                t0, st = writer_out.pop(s['np'])
                writer[st] += t - t0
                writer_sleeps += st == 'S'
        if s['st'].startswith('R') and s['pp'] != '0':
            waiting[cpu][s['pp']] = 'preempted'
        for ws in waiting.values():
            ws.pop(s['np'], None)
        running[cpu] = s['np']
        if s['np'] in woken:
            tw, was_idle = woken.pop(s['np'])
            lat[(name(s['np']), 'idle' if was_idle else 'busy')].append(
                t - tw)
    if last is None:
        print('  sched_idle: no events')
        return
    span = last - first
    ncpu = max(len(running), 1)
    print('  %.2f s on %d CPUs: idle %.0f ms (%.0f%%), of which %.0f ms '
          '(%.0f%% of the idle) while another CPU had a runnable task '
          'waiting' % (span, ncpu, idle * 1e3, 100 * idle / (span * ncpu),
                       idle_waited * 1e3,
                       100 * idle_waited / idle if idle else 0))
    print('  the tasks that waited then (ms):',
          ', '.join('%s %s %.0f' % (k[0], k[1], v * 1e3)
                    for k, v in by_task.most_common(6)))
    print('  wakeup to run (us), onto a busy CPU | onto an idle one:')
    whos = sorted({k[0] for k in lat},
                  key=lambda n: -sum(lat.get((n, 'busy'), [])))
    for who in whos[:6]:
        row = []
        for kind in ('busy', 'idle'):
            v = sorted(lat.get((who, kind), []))
            row.append('n %5d mean %5.0f p90 %5.0f' % (
                len(v), sum(v) / len(v) * 1e6, v[int(len(v) * 0.9)] * 1e6)
                if v else '%28s' % '-')
        print('    %-12s %s | %s' % (who, row[0], row[1]))
    if writer:
        print('  %s: on a CPU %.0f ms; off it asleep %.0f ms (%d sleeps), '
              'in I/O %.0f ms, preempted %.0f ms' % (
                  WRITER, writer['on'] * 1e3, writer['S'] * 1e3,
                  writer_sleeps, writer['D'] * 1e3, writer['R'] * 1e3))

if __name__ == '__main__':
    main()
