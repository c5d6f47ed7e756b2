/*
 * A test guest that looks like a Solo5 hvt unikernel to the tender (see start.S) and reports
 * what it was given, so the tests can compare it with docs/solo5-mode.md.
 *
 * It talks to the tender only through the hvt ABI v2 hypercalls (out to port 0x500 + n with
 * the 32-bit guest address of the argument struct). The first word of the command line picks
 * what it does; output is one "key=value" per line so the tests can parse it.
 *
 * Freestanding, general-purpose registers only: this code runs at CPL 0, which some nested
 * KVM hosts emulate instruction by instruction and where SSE fails. Keep it short.
 */
typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

/* The boot-info struct the tender writes at the address in RDI (56-byte form). */
struct boot_info {
    u64 mem_size;
    u64 kernel_end;
    u64 cpu_cycle_freq;
    u64 cmdline;
    u64 mft;
    u32 host_features;
    u32 guest_features;
    u64 net_ring;
};

struct hc_walltime { u64 nsecs; };
struct hc_puts { u64 data; u64 len; };
struct hc_poll { u64 timeout_nsecs; u64 ready_set; int ret; };
struct hc_block { u64 handle; u64 offset; u64 data; u64 len; int ret; };
struct hc_halt { u64 cookie; int exit_status; };

/* The trap-frame layout a Solo5 guest passes as the HALT cookie when it aborts on a CPU exception. */
struct trap_regs { u64 cr2, ec, rip, cs, rflags, rsp, ss; };

enum { HC_WALLTIME = 1, HC_PUTS, HC_POLL, HC_BLOCK_WRITE, HC_BLOCK_READ, HC_NET_WRITE,
       HC_NET_READ, HC_HALT };

/* Set by start.S. */
extern u64 entry_state[];
extern u8 entry_gdtr[16], entry_idtr[16];
extern const u8 guest_mft[];
extern const u8 guest_mft_note[];
extern const u8 guest_data_end[], guest_bss_end[];

static void hypercall(int n, volatile void *arg)
{
    __asm__ __volatile__("outl %0, %1"
                         :
                         : "a"((u32)(u64)arg), "d"((u16)(0x500 + n))
                         : "memory");
}

static u64 rdtsc(void)
{
    u32 lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((u64)hi << 32) | lo;
}

static void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
    __asm__ __volatile__("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static u64 str_len(const char *s)
{
    u64 n = 0;
    while (s[n])
        n++;
    return n;
}

static void puts_n(const char *s, u64 n)
{
    volatile struct hc_puts p = { (u64)s, n };
    hypercall(HC_PUTS, &p);
}

/* One output line is built here and sent with one PUTS: exits are the expensive part. */
static char line[9000];
static u64 line_len;

static void put_str(const char *s)
{
    while (*s && line_len < sizeof line)
        line[line_len++] = *s++;
}

static void put_hex(u64 v)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[16];
    int n = 0;
    do {
        tmp[n++] = digits[v & 15];
        v >>= 4;
    } while (v);
    put_str("0x");
    while (n > 0 && line_len < sizeof line)
        line[line_len++] = tmp[--n];
}

static void put_dec(u64 v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n > 0 && line_len < sizeof line)
        line[line_len++] = tmp[--n];
}

static void flush_line(void)
{
    if (line_len < sizeof line)
        line[line_len++] = '\n';
    puts_n(line, line_len);
    line_len = 0;
}

static void kv_hex(const char *key, u64 v)
{
    put_str(key);
    put_str("=");
    put_hex(v);
    flush_line();
}

static void kv_dec(const char *key, u64 v)
{
    put_str(key);
    put_str("=");
    put_dec(v);
    flush_line();
}

static __attribute__((noreturn)) void halt(int status, void *cookie)
{
    volatile struct hc_halt h = { (u64)cookie, status };
    hypercall(HC_HALT, &h);
    for (;;)
        ;
}

static u64 load_u64(const u8 *p)
{
    u64 v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static u32 load_u32(const u8 *p)
{
    return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static int word_is(const char *w, u64 wlen, const char *s)
{
    u64 i = 0;
    for (; i < wlen; i++)
        if (s[i] != w[i])
            return 0;
    return s[i] == 0;
}

static u64 parse_dec(const char *s)
{
    u64 v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (u64)(*s++ - '0');
    return v;
}

static void report_manifest(const char *prefix, const u8 *m)
{
    u32 entries = load_u32(m + 4);
    put_str(prefix);
    put_str("version=");
    put_dec(load_u32(m));
    put_str(" entries=");
    put_dec(entries);
    flush_line();
    for (u32 i = 0; i < entries && i < 64; i++) {
        const u8 *e = m + 8 + 104 * (u64)i;
        put_str(prefix);
        put_str("e");
        put_dec(i);
        put_str(" name=[");
        put_str((const char *)e);
        put_str("] type=");
        put_hex(load_u32(e + 68));
        put_str(" capacity=");
        put_dec(load_u64(e + 72));
        put_str(" block_size=");
        put_dec((u64)e[80] | (u64)e[81] << 8);
        put_str(" attached=");
        put_dec(e[96]);
        flush_line();
    }
}

static void report_state(const struct boot_info *bi)
{
    kv_hex("rsp", entry_state[0]);
    kv_hex("rdi", entry_state[1]);
    kv_hex("rflags", entry_state[2]);
    kv_hex("cr0", entry_state[3]);
    kv_hex("cr3", entry_state[4]);
    kv_hex("cr4", entry_state[5]);
    kv_hex("efer", entry_state[6]);
    kv_hex("cs", entry_state[7]);
    kv_hex("ss", entry_state[8]);
    kv_hex("ds", entry_state[9]);
    kv_hex("es", entry_state[10]);
    kv_hex("fs", entry_state[11]);
    kv_hex("gs", entry_state[12]);
    kv_hex("tr", entry_state[13]);
    kv_hex("ldtr", entry_state[14]);
    kv_hex("other_gprs", entry_state[15]);
    kv_hex("fs_base", entry_state[16]);
    kv_hex("gs_base", entry_state[17]);
    kv_hex("gdtr_limit", (u64)entry_gdtr[0] | (u64)entry_gdtr[1] << 8);
    kv_hex("gdtr_base", load_u64(entry_gdtr + 2));
    kv_hex("idtr_limit", (u64)entry_idtr[0] | (u64)entry_idtr[1] << 8);
    kv_hex("idtr_base", load_u64(entry_idtr + 2));

    kv_hex("mem_size", bi->mem_size);
    kv_hex("kernel_end", bi->kernel_end);
    kv_dec("cpu_cycle_freq", bi->cpu_cycle_freq);
    kv_hex("cmdline_addr", bi->cmdline);
    kv_hex("mft_addr", bi->mft);
    kv_hex("host_features", bi->host_features);
    kv_hex("guest_features", bi->guest_features);
    kv_hex("net_ring", bi->net_ring);
    kv_hex("image_data_end", (u64)guest_data_end);
    kv_hex("image_bss_end", (u64)guest_bss_end);
    kv_hex("note_mft_addr", (u64)guest_mft);

    report_manifest("mft_", (const u8 *)bi->mft);
    report_manifest("note_", guest_mft);

    /* CPUID as the tender configured it (solo5-hvt: KVM's supported list, unchanged). */
    static const u32 leaves[] = { 0, 1, 0x80000000, 0x80000001 };
    for (unsigned i = 0; i < sizeof leaves / sizeof leaves[0]; i++) {
        u32 a, b, c, d;
        cpuid(leaves[i], &a, &b, &c, &d);
        put_str("cpuid_");
        put_hex(leaves[i]);
        put_str("=");
        put_hex(a);
        put_str(" ");
        put_hex(leaves[i] == 1 ? b & 0xffff : b); /* leaf 1 EBX bits 24..31: APIC ID */
        put_str(" ");
        put_hex(c);
        put_str(" ");
        put_hex(d);
        flush_line();
    }
}

static void do_time(u64 sleep_ms)
{
    volatile struct hc_walltime w0, w1;
    volatile struct hc_poll p;
    hypercall(HC_WALLTIME, &w0);
    u64 t0 = rdtsc();
    p.timeout_nsecs = sleep_ms * 1000000;
    p.ready_set = 0xdead;
    p.ret = -7;
    hypercall(HC_POLL, &p);
    u64 t1 = rdtsc();
    hypercall(HC_WALLTIME, &w1);
    kv_dec("walltime_ns", w0.nsecs);
    kv_dec("poll_ret", (u64)(long)p.ret);
    kv_hex("poll_ready_set", p.ready_set);
    kv_dec("slept_wall_ns", w1.nsecs - w0.nsecs);
    kv_dec("slept_tsc_cycles", t1 - t0);
}

/* Reads block 0 of "storage", writes it back incremented, reads it again. */
static void do_block(void)
{
    static u8 buf[512];
    volatile struct hc_block rd = { 1, 0, (u64)buf, sizeof buf, -1 };
    hypercall(HC_BLOCK_READ, &rd);
    kv_dec("block_read_ret", (u64)(long)rd.ret);
    kv_hex("block_byte0", buf[0]);
    buf[0]++;
    volatile struct hc_block wr = { 1, 0, (u64)buf, sizeof buf, -1 };
    hypercall(HC_BLOCK_WRITE, &wr);
    kv_dec("block_write_ret", (u64)(long)wr.ret);
    /* One block past the end: the tender answers EINVAL (2) and goes on. */
    volatile struct hc_block bad = { 1, (u64)1 << 40, (u64)buf, sizeof buf, -1 };
    hypercall(HC_BLOCK_READ, &bad);
    kv_dec("block_past_end_ret", (u64)(long)bad.ret);
    /* A handle that is not a block device (entry 0 is the reserved entry). */
    volatile struct hc_block wrong = { 0, 0, (u64)buf, sizeof buf, -1 };
    hypercall(HC_BLOCK_READ, &wrong);
    kv_dec("block_bad_handle_ret", (u64)(long)wrong.ret);
}

static struct trap_regs fake_trap = { 0xcafe000, 0x2, 0x100123, 0x8, 0x10046, 0x1ffff80, 0x10 };

void guest_main(const struct boot_info *bi)
{
    const char *cmd = (const char *)bi->cmdline;
    u64 wlen = 0;
    while (cmd[wlen] && cmd[wlen] != ' ')
        wlen++;
    const char *arg = cmd[wlen] ? cmd + wlen + 1 : cmd + wlen;

    put_str("cmdline=[");
    put_str(cmd);
    put_str("] len=");
    put_dec(str_len(cmd));
    flush_line();

    if (wlen == 0 || word_is(cmd, wlen, "state")) {
        report_state(bi);
    } else if (word_is(cmd, wlen, "time")) {
        do_time(parse_dec(arg));
    } else if (word_is(cmd, wlen, "halt")) {
        halt((int)parse_dec(arg), 0);
    } else if (word_is(cmd, wlen, "abort")) {
        /* What Solo5's bindings do on a fatal trap: print, then halt 255 with the trap frame. */
        static const char msg[] = "Solo5: ABORT: probe.c:1: Fatal trap\n";
        puts_n(msg, sizeof msg - 1);
        halt(255, &fake_trap);
    } else if (word_is(cmd, wlen, "abort-nocookie")) {
        static const char msg[] = "Solo5: ABORT: probe.c:2: assertion failed\n";
        puts_n(msg, sizeof msg - 1);
        halt(255, 0);
    } else if (word_is(cmd, wlen, "abort-badcookie")) {
        /* A cookie whose 512 bytes run past the end of guest memory. */
        halt(255, (void *)(bi->mem_size - 16));
    } else if (word_is(cmd, wlen, "trap")) {
        /* No IDT is loaded: the #UD becomes a triple fault. */
        __asm__ __volatile__("ud2");
    } else if (word_is(cmd, wlen, "badptr")) {
        volatile struct hc_puts p = { bi->mem_size - 4, 100 };
        hypercall(HC_PUTS, &p);
        kv_dec("survived_badptr", 1);
    } else if (word_is(cmd, wlen, "badport")) {
        __asm__ __volatile__("outl %0, %1" : : "a"(0), "d"((u16)0x4ff));
        kv_dec("survived_badport", 1);
    } else if (word_is(cmd, wlen, "nocall")) {
        hypercall(0, &fake_trap);
        kv_dec("survived_nocall", 1);
    } else if (word_is(cmd, wlen, "write-text")) {
        /* Solo5 forbids this through host page protection; see docs/solo5-mode.md. */
        *(volatile u8 *)(u64)guest_main = 0xc3;
        kv_dec("survived_write_text", 1);
    } else if (word_is(cmd, wlen, "walltime-text")) {
        /* WALLTIME's result written over our own text: the tender must refuse, not fault itself. */
        hypercall(HC_WALLTIME, (volatile void *)(u64)guest_main);
        kv_dec("survived_walltime_text", 1);
    } else if (word_is(cmd, wlen, "write-data")) {
        /* Data stays writable (the control for write-text). */
        static volatile u64 datum;
        datum = 7;
        kv_dec("wrote_data", datum);
    } else if (word_is(cmd, wlen, "block")) {
        do_block();
    } else {
        put_str("unknown command");
        flush_line();
        halt(2, 0);
    }
    halt(0, 0);
}
