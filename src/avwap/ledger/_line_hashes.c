/* The byte-level checks of `ledger verify --all`'s fast path over one file, in one call (avwap.ledger.verify_all).
 *
 * A line after the first is {"hash":"<64 hex>","prev_hash":"<64 hex>","record":{...},"seq":N}. For each such
 * line, in order, this checks exactly what verify_all's Python path checks with hashlib, numpy and
 * bytes.endswith: the fixed-width front ('{"hash":"', '","prev_hash":"'), that the recorded hash is the
 * lowercase hex sha256 of the hashed body ("{" followed by the line from byte 75 on, i.e. the line without
 * its hash member), that prev_hash is the previous line's hash (the first file line's for line 2), and that
 * the line ends with ',"seq":N}' where N is its line number. Python pays ~0.6 us of calls per line around a
 * 0.3 us hash; here the loop runs in C without the GIL. The same OpenSSL sha256 as hashlib (tested).
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED
#include <Python.h>
#include <openssl/sha.h>
#include <string.h>

#define HASH_AT 9
#define HEX_LENGTH 64
#define PREV_KEY_AT 73
#define BODY_AT 75
#define PREV_AT 88
#define FRONT_WIDTH 152

static const char HASH_PREFIX[] = "{\"hash\":\"";
static const char PREV_KEY[] = "\",\"prev_hash\":\"";
static const char HEX_DIGITS[] = "0123456789abcdef";

/* 1 when the line [line, line + length) passes every check, writing its digest to `digest`. */
static int check_line(const unsigned char *line, Py_ssize_t length, const unsigned char *previous_hash,
                      Py_ssize_t seq, const SHA256_CTX *brace, unsigned char *digest) {
    if (length < FRONT_WIDTH || memcmp(line, HASH_PREFIX, HASH_AT) != 0 ||
        memcmp(line + PREV_KEY_AT, PREV_KEY, PREV_AT - PREV_KEY_AT) != 0 ||
        memcmp(line + PREV_AT, previous_hash, HEX_LENGTH) != 0) {
        return 0;
    }
    /* the ending ',"seq":N}', written backwards (snprintf per line cost as much as the checks) */
    char ending[32];
    int at = (int)sizeof ending;
    ending[--at] = '}';
    for (Py_ssize_t rest = seq; at > 8; rest /= 10) {
        ending[--at] = (char)('0' + rest % 10);
        if (rest < 10) {
            break;
        }
    }
    at -= 7;
    memcpy(ending + at, ",\"seq\":", 7);
    int width = (int)sizeof ending - at;
    if (length < FRONT_WIDTH + width || memcmp(line + length - width, ending + at, (size_t)width) != 0) {
        return 0;
    }
    SHA256_CTX context = *brace;
    SHA256_Update(&context, line + BODY_AT, (size_t)(length - BODY_AT));
    SHA256_Final(digest, &context);
    for (int at = 0; at < SHA256_DIGEST_LENGTH; at++) {
        if (line[HASH_AT + 2 * at] != (unsigned char)HEX_DIGITS[digest[at] >> 4] ||
            line[HASH_AT + 2 * at + 1] != (unsigned char)HEX_DIGITS[digest[at] & 15]) {
            return 0;
        }
    }
    return 1;
}

/* chained_digests(data, start, first_hash) -> bytes | None
 * data: the file's bytes; start: the offset of its second line; first_hash: the first line's hash (64
 * ASCII hex). Returns the 32-byte digests of lines 2..n concatenated, or None when anything is unusual
 * (the caller's full verifier then names it). */
static PyObject *chained_digests(PyObject *self, PyObject *args) {
    Py_buffer view, first;
    Py_ssize_t start;
    if (!PyArg_ParseTuple(args, "y*ny*", &view, &start, &first)) {
        return NULL;
    }
    const unsigned char *data = (const unsigned char *)view.buf;
    Py_ssize_t size = view.len;
    PyObject *out = NULL;
    if (first.len != HEX_LENGTH || start < 0 || start > size || (size > 0 && data[size - 1] != '\n')) {
        goto none;
    }
    Py_ssize_t lines = 0;
    for (Py_ssize_t at = start; at < size; at++) {
        lines += data[at] == '\n';
    }
    out = PyBytes_FromStringAndSize(NULL, lines * SHA256_DIGEST_LENGTH);
    if (out == NULL) {
        PyBuffer_Release(&view);
        PyBuffer_Release(&first);
        return NULL;
    }
    unsigned char *digest = (unsigned char *)PyBytes_AS_STRING(out);
    int sound = 1;
    Py_BEGIN_ALLOW_THREADS
    SHA256_CTX brace;
    SHA256_Init(&brace);
    SHA256_Update(&brace, "{", 1);
    const unsigned char *previous_hash = (const unsigned char *)first.buf;
    Py_ssize_t at = start, seq = 2;
    while (at < size) {
        const unsigned char *line = data + at;
        const unsigned char *end = memchr(line, '\n', (size_t)(size - at));
        Py_ssize_t length = (Py_ssize_t)(end - line);
        if (!check_line(line, length, previous_hash, seq, &brace, digest)) {
            sound = 0;
            break;
        }
        previous_hash = line + HASH_AT;
        digest += SHA256_DIGEST_LENGTH;
        at += length + 1;
        seq += 1;
    }
    Py_END_ALLOW_THREADS
    if (sound) {
        PyBuffer_Release(&view);
        PyBuffer_Release(&first);
        return out;
    }
    Py_DECREF(out);
none:
    PyBuffer_Release(&view);
    PyBuffer_Release(&first);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"chained_digests", chained_digests, METH_VARARGS,
     "chained_digests(data, start, first_hash) -> bytes | None: the fast path's checks of lines 2..n."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_line_hashes", NULL, -1, methods};

PyMODINIT_FUNC PyInit__line_hashes(void) { return PyModule_Create(&module); }
