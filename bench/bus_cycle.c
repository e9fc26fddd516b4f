/* Bus cycle of the Modbus backend for all seven units of the reference chair: over TCP on
 * loopback, and over RTU at 115200 baud 8N2 through a socat pty pair with the server pacing
 * its answers to the wire (a pty moves bytes at once whatever the baud rate). Beside the RTU
 * figure, the wire time computed from the frame sizes: 11 bits a character and 3.5 silent
 * characters before every frame. Also the lateness of a 1 kHz loop calling read and write
 * while the TCP bus runs. Prints `name: value` lines; never fails on a figure. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../drivers/hal.h"
#include "../drivers/modbus_bus.h"
#include "../sim/modbus_server.h"

struct bench_srv {
	struct simsrv srv;
	pthread_t thread;
	atomic_bool stop;
};

static void *bench_srv_loop(void *arg)
{
	struct bench_srv *b = arg;
	while (!atomic_load(&b->stop))
		if (simsrv_poll(&b->srv, 500) < 0)
			break;
	return NULL;
}

static int bench_srv_start(struct bench_srv *b, const char *spec_text, const struct hal_config *cfg,
			   bool pace)
{
	struct simsrv_spec spec;
	char err[256];
	if (simsrv_parse_spec(spec_text, &spec, err, sizeof(err)) < 0 ||
	    simsrv_open(&b->srv, &spec, cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "bus_cycle: server: %s\n", err);
		return -1;
	}
	struct hal_inputs in;
	memset(&in, 0, sizeof(in));
	simsrv_set_inputs(&b->srv, &in);
	simsrv_set_wire_pace(&b->srv, pace);
	atomic_store(&b->stop, false);
	pthread_create(&b->thread, NULL, bench_srv_loop, b);
	return 0;
}

static void bench_srv_stop(struct bench_srv *b)
{
	atomic_store(&b->stop, true);
	pthread_join(b->thread, NULL);
	simsrv_close(&b->srv);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Run the bus for ms and return the mean cycle in ms, or -1. */
static double bench_mean_cycle_ms(struct mbus *m, int ms)
{
	struct mbus_stats a, b;
	mbus_get_stats(m, &a);
	sleep_ms(ms);
	mbus_get_stats(m, &b);
	if (b.cycles <= a.cycles)
		return -1;
	return (double)(b.total_cycle_ns - a.total_cycle_ns) / 1e6 / (double)(b.cycles - a.cycles);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* A 1 kHz loop doing what the tick does with the backend: read, write. */
static void bench_tick(struct mbus *m)
{
	enum { PERIODS = 3000 };
	static int64_t late_ns[PERIODS];
	int64_t worst_call_ns = 0;
	struct hal_inputs in;
	struct hal_outputs out;
	hal_safe_outputs(&out, 50);
	int64_t next = now_ns() + 1000000;
	for (int i = 0; i < PERIODS; i++) {
		struct timespec ts = {(time_t)(next / 1000000000LL), (long)(next % 1000000000LL)};
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		int64_t woke = now_ns();
		late_ns[i] = woke - next;
		mbus_read(m, &in);
		mbus_write(m, &out);
		int64_t call = now_ns() - woke;
		if (call > worst_call_ns)
			worst_call_ns = call;
		next += 1000000;
	}
	qsort(late_ns, PERIODS, sizeof(late_ns[0]), cmp_i64);
	printf("tick_wake_latency_p50_us: %.1f\n", late_ns[PERIODS / 2] / 1e3);
	printf("tick_wake_latency_p99_us: %.1f\n", late_ns[PERIODS * 99 / 100] / 1e3);
	printf("tick_wake_latency_max_us: %.1f\n", late_ns[PERIODS - 1] / 1e3);
	printf("tick_read_write_max_us: %.1f\n", worst_call_ns / 1e3);
}

static void bench_config(struct hal_config *cfg)
{
	hal_config_defaults(cfg);
	cfg->backend = HAL_BACKEND_MODBUS;
	cfg->bus.use_fc23 = true;
	cfg->bus.cycle_ms = 0;
	cfg->bus.response_timeout_ms = 50;
}

static int bench_tcp(void)
{
	struct hal_config cfg;
	bench_config(&cfg);
	static struct bench_srv b;
	if (bench_srv_start(&b, "tcp:127.0.0.1:0", &cfg, false) < 0)
		return -1;
	cfg.bus.kind = HAL_BUS_TCP;
	cfg.bus.tcp_port = simsrv_port(&b.srv);
	static struct mbus m;
	char err[256];
	if (mbus_open(&m, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "bus_cycle: %s\n", err);
		bench_srv_stop(&b);
		return -1;
	}
	struct hal_outputs out;
	hal_safe_outputs(&out, 50);
	mbus_write(&m, &out);
	sleep_ms(200);
	printf("tcp_cycle_ms: %.3f\n", bench_mean_cycle_ms(&m, 1000));
	/* the tick beside a bus that leaves some CPU, as chaird's 1 ms bus cycle does */
	mbus_close(&m);
	cfg.bus.cycle_ms = 1;
	if (mbus_open(&m, &cfg, err, sizeof(err)) == 0) {
		mbus_write(&m, &out);
		bench_tick(&m);
		mbus_close(&m);
	}
	bench_srv_stop(&b);
	return 0;
}

/* Characters one cycle puts on an RTU line with function 23: request and answer of each
 * transaction, and 3.5 silent characters before each of them. */
static double bench_rtu_wire_chars(void)
{
	const int fc23_req = 1 + 1 + 2 + 2 + 2 + 2 + 1 + 2 * HAL_DRIVE_OUT_REGS + 2;
	const int fc23_rsp = 1 + 1 + 1 + 2 * HAL_DRIVE_IN_REGS + 2;
	const int fc4_req = 8, fc4_io_rsp = 1 + 1 + 1 + 2 * HAL_IO_IN_REGS + 2;
	const int fc15_req = 1 + 1 + 2 + 2 + 1 + (HAL_OUT_COUNT + 7) / 8 + 2, fc15_rsp = 8;
	const int fc2_req = 8, fc2_rsp = 1 + 1 + 1 + (HAL_IN_COUNT + 7) / 8 + 2;
	const double gaps = 2 * 3.5; /* before the request and before the answer */
	double chars = HAL_AXIS_COUNT * (fc23_req + fc23_rsp + gaps);
	chars += fc4_req + fc4_io_rsp + gaps;
	chars += fc15_req + fc15_rsp + gaps;
	chars += fc2_req + fc2_rsp + gaps;
	return chars;
}

static int bench_rtu(void)
{
	if (access("/usr/bin/socat", X_OK) != 0) {
		printf("# rtu: socat not installed, skipped\n");
		return 0;
	}
	char dir[] = "/tmp/bus_cycle.XXXXXX";
	if (!mkdtemp(dir))
		return -1;
	char a[96], b[96], pa[64], pb[64];
	snprintf(pa, sizeof(pa), "%s/a", dir);
	snprintf(pb, sizeof(pb), "%s/b", dir);
	snprintf(a, sizeof(a), "pty,raw,echo=0,link=%s", pa);
	snprintf(b, sizeof(b), "pty,raw,echo=0,link=%s", pb);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		execl("/usr/bin/socat", "socat", a, b, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && access(pb, F_OK) != 0; i++)
		sleep_ms(10);
	int rc = -1;
	struct hal_config cfg;
	bench_config(&cfg);
	cfg.bus.kind = HAL_BUS_RTU;
	snprintf(cfg.bus.rtu_device, sizeof(cfg.bus.rtu_device), "%s", pb);
	cfg.bus.rtu_baud = 115200;
	cfg.bus.rtu_parity = 'N';
	cfg.bus.rtu_data_bits = 8;
	cfg.bus.rtu_stop_bits = 2;
	char spec[96];
	snprintf(spec, sizeof(spec), "rtu:%s,115200,8N2", pa);
	static struct bench_srv s;
	static struct mbus m;
	char err[256];
	if (bench_srv_start(&s, spec, &cfg, true) == 0) {
		if (mbus_open(&m, &cfg, err, sizeof(err)) == 0) {
			struct hal_outputs out;
			hal_safe_outputs(&out, 50);
			mbus_write(&m, &out);
			sleep_ms(300);
			double cycle = bench_mean_cycle_ms(&m, 3000);
			double wire = bench_rtu_wire_chars() * 11.0 / 115200.0 * 1000.0;
			printf("rtu_cycle_ms: %.2f\n", cycle);
			printf("rtu_wire_ms: %.2f\n", wire);
			printf("rtu_cycle_ratio: %.3f\n", cycle / wire);
			mbus_close(&m);
			rc = 0;
		} else {
			fprintf(stderr, "bus_cycle: %s\n", err);
		}
		bench_srv_stop(&s);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	unlink(pa);
	unlink(pb);
	rmdir(dir);
	return rc;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	int rc = bench_tcp();
	if (bench_rtu() < 0)
		rc = -1;
	return rc < 0 ? 1 : 0;
}
