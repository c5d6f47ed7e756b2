# The Linux-side load generator of the network benchmarks (scripts/bench-net, scripts/bench-ixgbe),
# run inside their namespace: a packet socket sends 64-byte frames of EtherType 0x88B5 to the guest
# and checks what comes back.
# usage: net-peer.py FRAMES SECONDS DEST_MAC [SEND_IF [RECEIVE_IF [reflect|forward]]]
#   reflect (default): the answer must be the frame with its MAC addresses swapped (reflect samples);
#   forward: the frame must come out unchanged on RECEIVE_IF (ixgbe-forward between two TAPs).
# Prints one line: frames/s, p50 and p99 round-trip µs, frames received, frames lost, seconds.
# Latency: 1000 frames one at a time; then throughput with up to 32 frames in flight, FRAMES in
# total or SECONDS, whichever ends first.
import socket, struct, sys, time
frames, seconds, guest_mac = int(sys.argv[1]), float(sys.argv[2]), bytes.fromhex(sys.argv[3].replace(':', ''))
send_if = sys.argv[4] if len(sys.argv) > 4 else 'tap0'
receive_if = sys.argv[5] if len(sys.argv) > 5 else send_if
mode = sys.argv[6] if len(sys.argv) > 6 else 'reflect'
ETH = 0x88B5
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH))
s.bind((send_if, ETH))
r = s
if receive_if != send_if:
    r = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH))
    r.bind((receive_if, ETH))
mine = s.getsockname()[4][:6]
def frame(seq, size=64):
    head = guest_mac + mine + struct.pack('!HI', ETH, seq)
    return head + bytes((seq + i) & 0xFF for i in range(size - len(head)))
def receive(timeout):
    # Skips frames the receiving socket's interface sent itself (PACKET_OUTGOING = 4).
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0: return None
        r.settimeout(left)
        try:
            data, addr = r.recvfrom(65536)
        except socket.timeout:
            return None
        if addr[2] != 4: return data
def check(sent, got):
    if got is None: return False
    if mode == 'forward': return got == sent
    return got[:6] == sent[6:12] and got[6:12] == sent[:6] and got[12:] == sent[12:]
# Latency: one frame at a time.
lat, bad = [], 0
for i in range(1000):
    f = frame(i)
    t = time.perf_counter_ns()
    s.send(f)
    g = receive(1.0)
    if not check(f, g): bad += 1; continue
    lat.append(time.perf_counter_ns() - t)
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] / 1000 if lat else float('nan')
# Throughput: up to 32 in flight.
window, sent, got, lost = 32, 0, 0, 0
start = time.perf_counter()
deadline = start + seconds
inflight = 0
while got + lost < frames and time.perf_counter() < deadline:
    while inflight < window and sent < frames:
        s.send(frame(100000 + sent)); sent += 1; inflight += 1
    g = receive(0.5)
    if g is None:
        lost += inflight; inflight = 0
    else:
        got += 1; inflight -= 1
elapsed = time.perf_counter() - start
print(f"{got / elapsed:.0f} {p(0.50):.1f} {p(0.99):.1f} {got} {lost + bad} {elapsed:.2f}")
