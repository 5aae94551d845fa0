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
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <unistd.h>
#include <linux/btrfs.h>
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
    case ENOENT: snprintf(code, sizeof code, "ENOENT"); break;
    case ENODEV: snprintf(code, sizeof code, "ENODEV"); break;
    case ENOTTY: snprintf(code, sizeof code, "ENOTTY"); break;
    case EINVAL: snprintf(code, sizeof code, "EINVAL"); break;
    case ENOMEM: snprintf(code, sizeof code, "ENOMEM"); break;
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

/*
 * netlinkRequest(protocol, type, flags, payload): sends one request (the
 * payload after a netlink header of that type, NLM_F_REQUEST | flags) on a
 * socket of that netlink protocol and returns every reply message, header
 * included, as a Buffer: until NLMSG_DONE for a dump, else the one reply.
 * An NLMSG_ERROR reply throws its errno. Parsing stays in TypeScript
 * (src/sources/host/netlink/), where it is tested on recorded bytes.
 */
/* Larger than the kernel's dump chunks (at most 32 KiB), so no message is cut. */
#define NETLINK_RECV_BYTES 65536
#define NETLINK_MAX_PAYLOAD 4096

/* Reads the replies to request `seq` into `out`; returns 0, or an errno value. */
static int netlink_replies(napi_env env, int fd, uint32_t seq, napi_value out) {
  void *buffer = malloc(NETLINK_RECV_BYTES); /* malloc aligns it for nlmsghdr */
  if (buffer == NULL) return ENOMEM;
  uint32_t count = 0;
  int err = 0, done = 0;
  while (!done && err == 0) {
    struct iovec iov = {.iov_base = buffer, .iov_len = NETLINK_RECV_BYTES};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    ssize_t n = recvmsg(fd, &mh, 0);
    if (n < 0) {
      if (errno != EINTR) err = errno;
      continue;
    }
    if (n == 0) err = EPROTO;
    if (mh.msg_flags & MSG_TRUNC) err = EMSGSIZE;
    int len = (int)n;
    for (struct nlmsghdr *h = buffer; err == 0 && !done && NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != seq) continue;
      if (h->nlmsg_type == NLMSG_DONE) {
        /* A dump that failed part-way says so in its DONE message. */
        if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) && *(const int *)NLMSG_DATA(h) < 0) err = -*(const int *)NLMSG_DATA(h);
        done = 1;
      } else if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(h);
        err = h->nlmsg_len < NLMSG_LENGTH(sizeof *e) ? EPROTO : -e->error;
        done = 1;
      } else {
        napi_value message;
        napi_create_buffer_copy(env, h->nlmsg_len, h, NULL, &message);
        napi_set_element(env, out, count++, message);
        if (!(h->nlmsg_flags & NLM_F_MULTI)) done = 1;
      }
    }
  }
  free(buffer);
  return err;
}

static napi_value netlink_request(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  uint32_t protocol = 0, type = 0, flags = 0;
  void *payload = NULL;
  size_t payload_len = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4 || napi_get_value_uint32(env, argv[0], &protocol) != napi_ok || napi_get_value_uint32(env, argv[1], &type) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &flags) != napi_ok || napi_get_buffer_info(env, argv[3], &payload, &payload_len) != napi_ok ||
      protocol > 31 || type > 0xffff || flags > 0xffff || payload_len > NETLINK_MAX_PAYLOAD) {
    napi_throw_type_error(env, NULL, "netlinkRequest(protocol, type, flags, payload): numbers in range and a Buffer of at most 4096 bytes");
    return NULL;
  }
  const uint32_t seq = 1;
  struct {
    struct nlmsghdr header;
    uint8_t payload[NETLINK_MAX_PAYLOAD];
  } request;
  memset(&request, 0, sizeof request);
  request.header.nlmsg_len = NLMSG_LENGTH(payload_len);
  request.header.nlmsg_type = (uint16_t)type;
  request.header.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
  request.header.nlmsg_seq = seq;
  if (payload_len > 0) memcpy(request.payload, payload, payload_len);

  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, (int)protocol);
  if (fd < 0) return throw_errno(env, "netlink socket", errno);
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  napi_value out;
  napi_create_array(env, &out);
  int err = 0;
  if (sendto(fd, &request, request.header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) err = errno;
  else err = netlink_replies(env, fd, seq, out);
  close(fd);
  if (err != 0) return throw_errno(env, "netlink request", err);
  return out;
}

/*
 * btrfs ioctls on a file descriptor JavaScript opened on a mount point.
 * Dedicated calls rather than a generic ioctl: the structs' layouts come
 * from the kernel's header (linux/btrfs.h) at compile time, and no buffer
 * of JavaScript's choosing reaches the kernel. Which devices to ask for
 * (node_exporter's walk of device ids) stays in TypeScript.
 */
/* Reads (fd) or (fd, devid); on a bad argument, throws a TypeError showing `usage` and returns -1. */
static int fd_arguments(napi_env env, napi_callback_info info, const char *usage, int32_t *fd, uint64_t *devid) {
  size_t argc = 2;
  napi_value argv[2];
  int64_t id = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int ok = argc >= 1 && napi_get_value_int32(env, argv[0], fd) == napi_ok && *fd >= 0;
  if (ok && devid != NULL) ok = argc >= 2 && napi_get_value_int64(env, argv[1], &id) == napi_ok && id >= 0;
  if (!ok) {
    napi_throw_type_error(env, NULL, usage);
    return -1;
  }
  if (devid != NULL) *devid = (uint64_t)id;
  return 0;
}

static napi_value copy_bytes(napi_env env, const void *bytes, size_t length) {
  napi_value v;
  napi_create_buffer_copy(env, length, bytes, NULL, &v);
  return v;
}

/* btrfsFsInfo(fd): BTRFS_IOC_FS_INFO's max_id, num_devices and fsid. */
static napi_value btrfs_fs_info(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (fd_arguments(env, info, "btrfsFsInfo(fd): fd must be a file descriptor", &fd, NULL) != 0) return NULL;
  struct btrfs_ioctl_fs_info_args args;
  memset(&args, 0, sizeof args);
  if (ioctl(fd, BTRFS_IOC_FS_INFO, &args) < 0) return throw_errno(env, "BTRFS_IOC_FS_INFO", errno);
  napi_value out;
  napi_create_object(env, &out);
  set_number(env, out, "maxId", (double)args.max_id);
  set_number(env, out, "numDevices", (double)args.num_devices);
  napi_set_named_property(env, out, "fsid", copy_bytes(env, args.fsid, sizeof args.fsid));
  return out;
}

/* btrfsDevInfo(fd, devid): BTRFS_IOC_DEV_INFO; throws ENODEV for an id no device has. */
static napi_value btrfs_dev_info(napi_env env, napi_callback_info info) {
  int32_t fd;
  uint64_t devid;
  if (fd_arguments(env, info, "btrfsDevInfo(fd, devid): a file descriptor and a device id", &fd, &devid) != 0) return NULL;
  struct btrfs_ioctl_dev_info_args args;
  memset(&args, 0, sizeof args);
  args.devid = devid;
  if (ioctl(fd, BTRFS_IOC_DEV_INFO, &args) < 0) return throw_errno(env, "BTRFS_IOC_DEV_INFO", errno);
  napi_value out, device_path;
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "uuid", copy_bytes(env, args.uuid, sizeof args.uuid));
  set_number(env, out, "bytesUsed", (double)args.bytes_used);
  set_number(env, out, "totalBytes", (double)args.total_bytes);
  napi_create_string_utf8(env, (const char *)args.path, strnlen((const char *)args.path, sizeof args.path), &device_path);
  napi_set_named_property(env, out, "path", device_path);
  return out;
}

/* btrfsDevStats(fd, devid): BTRFS_IOC_GET_DEV_STATS's counters (write, read, flush, corruption, generation), not reset. */
static napi_value btrfs_dev_stats(napi_env env, napi_callback_info info) {
  int32_t fd;
  uint64_t devid;
  if (fd_arguments(env, info, "btrfsDevStats(fd, devid): a file descriptor and a device id", &fd, &devid) != 0) return NULL;
  struct btrfs_ioctl_get_dev_stats args;
  memset(&args, 0, sizeof args);
  args.devid = devid;
  args.nr_items = BTRFS_DEV_STAT_VALUES_MAX;
  if (ioctl(fd, BTRFS_IOC_GET_DEV_STATS, &args) < 0) return throw_errno(env, "BTRFS_IOC_GET_DEV_STATS", errno);
  napi_value out;
  napi_create_array_with_length(env, BTRFS_DEV_STAT_VALUES_MAX, &out);
  for (uint32_t i = 0; i < BTRFS_DEV_STAT_VALUES_MAX; i++) {
    napi_value v;
    napi_create_double(env, i < args.nr_items ? (double)args.values[i] : 0, &v);
    napi_set_element(env, out, i, v);
  }
  return out;
}

/*
 * madvise(start, length, advice): madvise(2) on one range of this process's
 * mappings, for the advice on the executable's own pages
 * (src/executable-pages.ts). Addresses come from /proc/self/maps (below 2^47,
 * exact as doubles); advice values are Linux's, the same on x64 and arm64.
 */
static napi_value madvise_range(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int64_t start, length;
  int32_t advice;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || napi_get_value_int64(env, argv[0], &start) != napi_ok || napi_get_value_int64(env, argv[1], &length) != napi_ok ||
      napi_get_value_int32(env, argv[2], &advice) != napi_ok || start < 0 || length <= 0) {
    napi_throw_type_error(env, NULL, "madvise(start, length, advice): a mapping's start address, its length and an advice");
    return NULL;
  }
  if (madvise((void *)(uintptr_t)start, (size_t)length, advice) != 0) return throw_errno(env, "madvise", errno);
  return NULL;
}

/*
 * mallocTrim(): glibc's malloc_trim(0), which gives back to the kernel the
 * free pages inside every malloc arena, not only at their tops. A cycle's
 * buffers (HTTP, gzip, file reads on libuv's threads) leave arenas
 * fragmented: ~9 MiB of the agent's anonymous memory was free malloc memory
 * still resident (issue 13). True when memory was released.
 */
static napi_value malloc_trim_all(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_get_boolean(env, malloc_trim(0) == 1, &out);
  return out;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor functions[] = {
      {"adjtimex", NULL, adjtimex_read, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tcpSockets", NULL, tcp_sockets, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkRequest", NULL, netlink_request, NULL, NULL, NULL, napi_enumerable, NULL},
      {"btrfsFsInfo", NULL, btrfs_fs_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"btrfsDevInfo", NULL, btrfs_dev_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"btrfsDevStats", NULL, btrfs_dev_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"madvise", NULL, madvise_range, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mallocTrim", NULL, malloc_trim_all, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions);
  return exports;
}
