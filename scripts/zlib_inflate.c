/*
 * zlib_inflate FILE: the inflate-only baseline of scripts/bench.py.
 *
 * Reads FILE with 256 KiB buffers and inflates every gzip member in it (one member, pigz
 * output, BGZF, ...) with zlib into a 256 KiB buffer that is thrown away: nothing is
 * written, no line is scanned, no CRC is computed beyond what inflate itself checks (the
 * gzip trailer's CRC-32 and length). Prints the uncompressed byte count on stdout.
 * Zero bytes after a member's end are skipped, as gzip and bce do.
 *
 * Exit status: 0 on success; 1 on an unreadable, corrupt or truncated file or bad usage.
 *
 * Build: gcc -O2 -o data/zlib_inflate scripts/zlib_inflate.c -lz
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define BUFFER_SIZE (256 * 1024)

static unsigned char input[BUFFER_SIZE];
static unsigned char output[BUFFER_SIZE];

static int fail(const char *path, const char *what) {
    fprintf(stderr, "zlib_inflate: %s: %s\n", path, what);
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: zlib_inflate FILE.gz\n");
        return 1;
    }
    const char *path = argv[1];
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fail(path, strerror(errno));

    z_stream stream;
    memset(&stream, 0, sizeof stream);
    if (inflateInit2(&stream, 15 + 16) != Z_OK) return fail(path, "inflateInit2 failed");

    unsigned long long total = 0;
    unsigned long long members = 0;
    int ended = 0; /* the last inflate call finished a member */
    int started = 0; /* inflate has been given at least one byte of the current member */
    for (;;) {
        if (stream.avail_in == 0) {
            ssize_t count = read(fd, input, BUFFER_SIZE);
            if (count < 0) {
                if (errno == EINTR) continue;
                return fail(path, strerror(errno));
            }
            if (count == 0) break;
            stream.next_in = input;
            stream.avail_in = (uInt)count;
        }
        if (ended) {
            while (stream.avail_in > 0 && *stream.next_in == 0) { /* zero padding */
                stream.next_in++;
                stream.avail_in--;
            }
            if (stream.avail_in == 0) continue;
            if (inflateReset(&stream) != Z_OK) return fail(path, "inflateReset failed");
            ended = 0;
        }
        started = 1;
        stream.next_out = output;
        stream.avail_out = BUFFER_SIZE;
        int status = inflate(&stream, Z_NO_FLUSH);
        total += BUFFER_SIZE - stream.avail_out;
        if (status == Z_STREAM_END) {
            ended = 1;
            members++;
        } else if (status == Z_BUF_ERROR && stream.avail_in == 0) {
            continue; /* needs more input */
        } else if (status != Z_OK) {
            return fail(path, stream.msg ? stream.msg : "inflate failed");
        }
    }
    close(fd);
    inflateEnd(&stream);
    if (!started || !ended) return fail(path, started ? "truncated gzip member" : "empty file");
    printf("%llu\n", total);
    fprintf(stderr, "zlib_inflate: %llu members, zlib %s\n", members, zlibVersion());
    return 0;
}
