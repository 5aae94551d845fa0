/*
 * edgepush's native part: the few system calls Node.js offers no binding for,
 * exposed through N-API (ABI-stable: one build serves every Node.js >= 12.22
 * of its architecture). Each function makes one call and returns the kernel's
 * numbers unchanged; naming, scaling and aggregation into metrics stay in
 * TypeScript (src/sources/host/procfs/, sysfs/ and collectors/), where they are tested on fixtures.
 *
 * Built by scripts/lib/native.ts with Debian's gcc (x64) and
 * aarch64-linux-gnu-gcc (arm64), fixed flags, no debug information.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

/*
 * Throws an Error whose code is the errno's name, so TypeScript can tell a
 * refusal (EPERM, EACCES) from a failure. glibc's strerrorname_np would need
 * glibc 2.32; Node.js's official binaries run from glibc 2.28.
 */
static napi_value throw_errno(napi_env env, const char *what, int err) {
  char code[24], message[160];
  switch (err) {
    case EPERM: snprintf(code, sizeof code, "EPERM"); break;
    case EACCES: snprintf(code, sizeof code, "EACCES"); break;
    case ENOSYS: snprintf(code, sizeof code, "ENOSYS"); break;
    case EPROTONOSUPPORT: snprintf(code, sizeof code, "EPROTONOSUPPORT"); break;
    default: snprintf(code, sizeof code, "ERRNO%d", err); break;
  }
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, code, message);
  return NULL;
}

static void set_number(napi_env env, napi_value object, const char *key, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  napi_set_named_property(env, object, key, v);
}

/*
 * adjtimex(2) with modes 0: reads the kernel's clock discipline state and
 * changes nothing (no capability needed). Called as the adjtimex system call
 * itself, not glibc's wrapper (which uses clock_adjtime): that is what
 * node_exporter calls, and the one call the systemd unit allows.
 */
static napi_value adjtimex_read(napi_env env, napi_callback_info info) {
  (void)info;
  struct timex tx;
  memset(&tx, 0, sizeof tx);
  long state = syscall(SYS_adjtimex, &tx);
  if (state < 0) return throw_errno(env, "adjtimex", errno);
  napi_value out;
  napi_create_object(env, &out);
  set_number(env, out, "state", (double)state);
  set_number(env, out, "offset", (double)tx.offset);
  set_number(env, out, "freq", (double)tx.freq);
  set_number(env, out, "maxerror", (double)tx.maxerror);
  set_number(env, out, "esterror", (double)tx.esterror);
  set_number(env, out, "status", (double)tx.status);
  set_number(env, out, "constant", (double)tx.constant);
  set_number(env, out, "precision", (double)tx.precision);
  set_number(env, out, "tolerance", (double)tx.tolerance);
  set_number(env, out, "tick", (double)tx.tick);
  set_number(env, out, "ppsfreq", (double)tx.ppsfreq);
  set_number(env, out, "jitter", (double)tx.jitter);
  set_number(env, out, "shift", (double)tx.shift);
  set_number(env, out, "stabil", (double)tx.stabil);
  set_number(env, out, "jitcnt", (double)tx.jitcnt);
  set_number(env, out, "calcnt", (double)tx.calcnt);
  set_number(env, out, "errcnt", (double)tx.errcnt);
  set_number(env, out, "stbcnt", (double)tx.stbcnt);
  set_number(env, out, "tai", (double)tx.tai);
  return out;
}

/* TCP states are 1..11 (TCP_ESTABLISHED..TCP_CLOSING); the array is indexed by state. */
#define TCP_STATE_SLOTS 16

struct tcp_totals {
  double sockets_by_state[TCP_STATE_SLOTS];
  double rqueue;
  double wqueue;
};

static int sock_diag_request(int fd, uint8_t family) {
  struct {
    struct nlmsghdr header;
    struct inet_diag_req_v2 body;
  } request;
  memset(&request, 0, sizeof request);
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.body.sdiag_family = family;
  request.body.sdiag_protocol = IPPROTO_TCP;
  request.body.idiag_states = 0xfff; /* every state: bit n is state n */
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  ssize_t sent = sendto(fd, &request, sizeof request, 0, (struct sockaddr *)&kernel, sizeof kernel);
  return sent == (ssize_t)sizeof request ? 0 : -1;
}

/* Reads the dump to its end; returns 0, or an errno value. */
static int sock_diag_sum(int fd, struct tcp_totals *totals) {
  /* uint32_t aligns it for nlmsghdr; 32 KiB holds a few hundred sockets per read. */
  uint32_t buffer[8192];
  for (;;) {
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EPROTO;
    int len = (int)n;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buffer; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE) return 0;
      if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(h);
        return e->error != 0 ? -e->error : EPROTO;
      }
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) continue;
      const struct inet_diag_msg *m = NLMSG_DATA(h);
      totals->sockets_by_state[m->idiag_state % TCP_STATE_SLOTS] += 1;
      totals->rqueue += m->idiag_rqueue;
      totals->wqueue += m->idiag_wqueue;
    }
  }
}

/*
 * tcpSockets(family): every TCP socket of one address family (2 = AF_INET,
 * 10 = AF_INET6) through netlink sock_diag, as node_exporter's tcpstat reads
 * them: counts by state and the sums of the kernel's idiag_rqueue and
 * idiag_wqueue (for a listener, its accept queue and backlog limit, which
 * /proc/net/tcp does not show).
 */
static napi_value tcp_sockets(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t family = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &family) != napi_ok || (family != AF_INET && family != AF_INET6)) {
    napi_throw_type_error(env, NULL, "tcpSockets(family): family must be 2 (AF_INET) or 10 (AF_INET6)");
    return NULL;
  }
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return throw_errno(env, "netlink sock_diag socket", errno);
  struct tcp_totals totals;
  memset(&totals, 0, sizeof totals);
  int err = sock_diag_request(fd, (uint8_t)family) == 0 ? sock_diag_sum(fd, &totals) : errno;
  close(fd);
  if (err != 0) return throw_errno(env, "netlink sock_diag dump", err);

  napi_value out, states;
  napi_create_object(env, &out);
  napi_create_array_with_length(env, TCP_STATE_SLOTS, &states);
  for (uint32_t i = 0; i < TCP_STATE_SLOTS; i++) {
    napi_value v;
    napi_create_double(env, totals.sockets_by_state[i], &v);
    napi_set_element(env, states, i, v);
  }
  napi_set_named_property(env, out, "byState", states);
  set_number(env, out, "rqueue", totals.rqueue);
  set_number(env, out, "wqueue", totals.wqueue);
  return out;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor functions[] = {
      {"adjtimex", NULL, adjtimex_read, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tcpSockets", NULL, tcp_sockets, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions);
  return exports;
}
