#!/usr/bin/env python3
"""The stall, reduced: llama-server alone, no proxy, no model work (GET /health).

Each trial opens K connections one after the other and keeps them open and idle (as a proxy's pool does),
then opens m more at the same moment (threads behind a barrier) and times each one's answer; then closes
them all and waits until llama-server's extra HTTP threads have exited (3 s idle) before the next trial.
llama-server's thread pool (cpp-httplib) serves a connection on one thread for as long as it is kept
alive; a stall is a new connection waiting for a thread until a kept-alive connection expires (5 s).
Prints one Markdown row per case. Standard library only.
"""
import argparse, os, socket, threading, time

REQUEST = b"GET /health HTTP/1.1\r\nHost: llama\r\n\r\n"


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def ask(s):
    s.sendall(REQUEST)
    got = b""
    while not (b"\r\n\r\n" in got and got.endswith(b"}")):
        chunk = s.recv(4096)
        if not chunk:
            raise RuntimeError("llama-server closed the connection")
        got += chunk


def trial(path, held_count, burst):
    held = []
    for _ in range(held_count):
        s = connect(path)
        ask(s)
        held.append(s)
    time.sleep(0.05)  # the threads serving them are back in their keep-alive wait
    took, fresh = [0.0] * burst, [None] * burst
    barrier = threading.Barrier(burst)

    def one(i):
        barrier.wait()
        start = time.perf_counter()
        fresh[i] = connect(path)
        ask(fresh[i])
        took[i] = time.perf_counter() - start

    threads = [threading.Thread(target=one, args=(i,)) for i in range(burst)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in held + fresh:
        s.close()
    time.sleep(3.5)  # llama-server's dynamic HTTP threads exit after 3 s idle: the next trial starts clean
    return took


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("--fixed", type=int, required=True, help="llama-server's fixed HTTP threads (--threads-http)")
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("cases", nargs="+", help="K:m, K connections held idle, m opened at once")
    args = ap.parse_args()
    for case in args.cases:
        held, burst = (int(x) for x in case.split(":"))
        worst, stalled = [], 0
        for _ in range(args.trials):
            took = trial(args.socket, held, burst)
            worst.append(max(took))
            stalled += sum(t > 1 for t in took)
        free = max(0, args.fixed - held)
        print(f"| {args.fixed} | {held} | {free} | {burst} | {args.trials} | {stalled} | "
              f"{' '.join(f'{w * 1000:.1f}' for w in worst)} |", flush=True)


if __name__ == "__main__":
    main()
