/* loopviz._speedups: the per-step hot paths of the instrumentation, in C.
 *
 * Why: a task step on plain asyncio costs ~2 us; the pure-Python proxy adds ~1.2 us to every
 * step just to be called, time the step and append its record, and the Python call_soon
 * wrapper on foreign loops another ~0.7 us. The same work in C costs a fraction of that.
 *
 * Contract: this module is optional (loopviz/_native.py loads it). Each type has a pure-Python
 * twin with exactly the same behaviour, used when this module is missing (no compiler at
 * install time) or when LOOPVIZ_PURE_PYTHON is set: ProxyCore's is proxy._PythonCore,
 * ScheduleHook's the closure in Tracker._hook_call_soon, IntLog's a plain list. Everything rare (classifying
 * a wait, naming a task, recording its end) stays in Python: C calls back into the subclass's
 * methods ``_read_name``, ``_bare_yield_site``, ``_suspended_on``, ``_finished``,
 * ``_slow_send`` and ``_compact``.
 *
 * - ProxyCore: base class of CoroutineProxy. ``send`` is one step: time it, find the site,
 *   append (task, start, end, site) to the recorder's flat step list.
 * - IntLog: the recorder's hot buffers (steps, wakes, dues) as a growable int64 array: a step
 *   is four machine words, not two new int objects and four list slots that compaction would
 *   then convert back one PyArg_Parse at a time (measured: ~1,300 instructions per step).
 * - ScheduleHook: a ``call_soon`` replacement for loops without loopviz's native hook: a task's
 *   bare step (no args, a C callable) goes straight to the original; anything else is first
 *   passed to the tracker's ``_on_schedule``.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>
#include <structmember.h>

/* Public C API only (CPython's documented, non-limited API): no internal headers, nothing
 * under Py_BUILD_CORE, so a new CPython release needs no rewrite here. An earlier version read
 * coroutines' instruction offsets and the creator's frames from the interpreter's own frame
 * records (pycore_frame.h); measured on the default path it was worth 0.03-0.09x of the churn's
 * overhead (benchmarks/frame_internals.py, docs/DESIGN.md "C speedups"), and dropped. Two
 * exported underscore names remain on the frozen releases that have no public equivalent:
 * _PyTime_GetMonotonicClock before 3.13 (PyTime_Monotonic since) and PyCoroObject's cr_code
 * on 3.11 (PyGen_GetCode since 3.12). */

static PyObject *str_cr_await, *str_cr_frame;
/* The native coroutine type's own cr_await and cr_frame getters: read once per bare yield, so
 * called directly rather than through a type lookup. */
static getter coro_get_await, coro_get_frame;
static void *coro_get_await_closure, *coro_get_frame_closure;
static PyObject *str_slow_send, *str_compact;
static PyObject *str_tasks, *str_listeners, *str_get_name, *str_must_cancel, *str_name, *str_ended,
    *str_outcome, *str_exception, *str_result, *str_cancelled, *str_recorder, *str_steps,
    *str_sleep0_sites;
static PyObject *str_get_coro, *str_qualname, *str_task_ref, *str_notify_created, *str_empty;
static Py_ssize_t compact_at = 1 << 14;

static inline long long
now_ns(void)
{
    /* The clock of time.monotonic_ns() (and so of loop.time() and the Python fallback). */
#if PY_VERSION_HEX >= 0x030D0000
    PyTime_t t;
    (void)PyTime_Monotonic(&t);
    return (long long)t;
#else
    return (long long)_PyTime_GetMonotonicClock();
#endif
}

/* ---- raising without chaining: the program must see the very exception its coroutine raised */
static PyObject *
take_exception(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL && value != NULL) {
        PyException_SetTraceback(value, tb);
    }
    Py_XDECREF(type);
    Py_XDECREF(tb);
    return value;
#endif
}

static void
give_exception(PyObject *exc) /* steals exc */
{
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(exc);
#else
    PyObject *type = (PyObject *)Py_TYPE(exc);
    Py_INCREF(type);
    PyErr_Restore(type, exc, PyException_GetTraceback(exc));
#endif
}

/* ======================================================================================== */
typedef struct {
    PyObject_HEAD
    long long *data;
    Py_ssize_t len;
    Py_ssize_t cap;
} IntLog;

static PyTypeObject IntLog_Type;

static int
intlog_reserve(IntLog *self, Py_ssize_t extra)
{
    if (self->len + extra <= self->cap) {
        return 0;
    }
    Py_ssize_t cap = self->cap ? self->cap : 1024;
    while (cap < self->len + extra) {
        cap *= 2;
    }
    long long *data = PyMem_Realloc(self->data, (size_t)cap * sizeof(long long));
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->data = data;
    self->cap = cap;
    return 0;
}

static inline int
intlog_append4(IntLog *self, long long a, long long b, long long c, long long d)
{
    if (self->len + 4 > self->cap && intlog_reserve(self, 4) < 0) {
        return -1;
    }
    long long *p = self->data + self->len;
    p[0] = a;
    p[1] = b;
    p[2] = c;
    p[3] = d;
    self->len += 4;
    return 0;
}

static void
intlog_dealloc(IntLog *self)
{
    PyMem_Free(self->data);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* extend(ints): all converted first, then stored, so a reader never sees part of a record */
static PyObject *
intlog_extend(IntLog *self, PyObject *arg)
{
    PyObject *seq = PySequence_Fast(arg, "IntLog.extend needs a sequence of ints");
    if (seq == NULL) {
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (intlog_reserve(self, n) < 0) {
        Py_DECREF(seq);
        return NULL;
    }
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        long long v = PyLong_AsLongLong(items[i]);
        if (v == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return NULL;
        }
        self->data[self->len + i] = v;
    }
    self->len += n;
    Py_DECREF(seq);
    Py_RETURN_NONE;
}

static PyObject *
intlog_inplace_concat(IntLog *self, PyObject *arg)
{
    PyObject *r = intlog_extend(self, arg);
    if (r == NULL) {
        return NULL;
    }
    Py_DECREF(r);
    return Py_NewRef(self);
}

static Py_ssize_t
intlog_clamp(IntLog *self, PyObject *args)
{
    Py_ssize_t n = self->len;
    if (!PyArg_ParseTuple(args, "|n", &n)) {
        return -1;
    }
    return n < 0 ? 0 : (n > self->len ? self->len : n);
}

/* peek(n=len): the first n ints as native int64 bytes (for array('q').frombytes) */
static PyObject *
intlog_peek(IntLog *self, PyObject *args)
{
    Py_ssize_t n = intlog_clamp(self, args);
    if (n < 0) {
        return NULL;
    }
    return PyBytes_FromStringAndSize((const char *)self->data, n * (Py_ssize_t)sizeof(long long));
}

/* take(n=len): like peek, and the n ints leave the log */
static PyObject *
intlog_take(IntLog *self, PyObject *args)
{
    Py_ssize_t n = intlog_clamp(self, args);
    if (n < 0) {
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize((const char *)self->data,
                                              n * (Py_ssize_t)sizeof(long long));
    if (out != NULL && n > 0) {
        memmove(self->data, self->data + n, (size_t)(self->len - n) * sizeof(long long));
        self->len -= n;
        /* A burst (20,000 create_task calls before any step) grows the log far past the
         * compaction threshold; once taken, that room would be held for the whole run. */
        Py_ssize_t room = self->len * 2 > 1024 ? self->len * 2 : 1024;
        if (self->cap > 4 * room) {
            long long *data = PyMem_Realloc(self->data, (size_t)room * sizeof(long long));
            if (data != NULL) {
                self->data = data;
                self->cap = room;
            }
        }
    }
    return out;
}

static PyObject *
intlog_clear(IntLog *self, PyObject *unused)
{
    self->len = 0;
    Py_RETURN_NONE;
}

static PyObject *
intlog_tolist(IntLog *self, PyObject *unused)
{
    PyObject *out = PyList_New(self->len);
    for (Py_ssize_t i = 0; out != NULL && i < self->len; i++) {
        PyObject *v = PyLong_FromLongLong(self->data[i]);
        if (v == NULL) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, i, v);
    }
    return out;
}

static PyObject *
intlog_sizeof(IntLog *self, PyObject *unused)
{
    return PyLong_FromSsize_t((Py_ssize_t)sizeof(IntLog) + self->cap * (Py_ssize_t)sizeof(long long));
}

static Py_ssize_t
intlog_length(IntLog *self)
{
    return self->len;
}

static PyMethodDef intlog_methods[] = {
    {"extend", (PyCFunction)intlog_extend, METH_O, "Append ints (one record at a time)."},
    {"peek", (PyCFunction)intlog_peek, METH_VARARGS, "peek(n=len) -> the first n ints as int64 bytes."},
    {"take", (PyCFunction)intlog_take, METH_VARARGS, "take(n=len) -> peek(n), removing them."},
    {"clear", (PyCFunction)intlog_clear, METH_NOARGS, "Forget every int."},
    {"tolist", (PyCFunction)intlog_tolist, METH_NOARGS, "The ints as a list."},
    {"__sizeof__", (PyCFunction)intlog_sizeof, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods intlog_as_sequence = {
    .sq_length = (lenfunc)intlog_length,
    .sq_inplace_concat = (binaryfunc)intlog_inplace_concat,
};

static PyTypeObject IntLog_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "loopviz._speedups.IntLog",
    .tp_basicsize = sizeof(IntLog),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A growable int64 log: the recorder's hot buffer (a list in pure Python).",
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)intlog_dealloc,
    .tp_methods = intlog_methods,
    .tp_as_sequence = &intlog_as_sequence,
};

/* ======================================================================================== */
typedef struct {
    PyObject_HEAD
    PyObject *coro;       /* the wrapped coroutine */
    PyObject *id;         /* the task's recorded id (an int) */
    PyObject *steps;      /* the recorder's flat step list */
    PyObject *tracker;
    PyObject *rec;        /* tracker.recorder */
    PyObject *sleep0;     /* tracker.sleep0_sites: user chain key -> site of a bare yield */
    PyObject *task;       /* weakref to the Task (set by the factory) */
    PyObject *last_inner; /* bare-yield shortcut: code of the library coroutine last time */
    PyObject *last_site;  /* ... and the site it gave */
    int last_lasti;       /* ... at this instruction of the task's own frame (-1: invalid) */
    long long id_ll, last_site_ll; /* id and last_site as machine ints, for the step records */
    PyObject *entry;      /* the task's TaskEntry and the tracker's listener list, when the C */
    PyObject *listeners;  /* factory made this proxy (else looked up when needed) */
    char waiting;
    char named;
    PyObject *weakrefs;
} ProxyCore;

static PyObject *user_cache; /* sites._user_cache: id(code) -> is user code */

static int
core_traverse(ProxyCore *self, visitproc visit, void *arg)
{
    Py_VISIT(self->coro);
    Py_VISIT(self->id);
    Py_VISIT(self->steps);
    Py_VISIT(self->tracker);
    Py_VISIT(self->rec);
    Py_VISIT(self->sleep0);
    Py_VISIT(self->task);
    Py_VISIT(self->last_inner);
    Py_VISIT(self->last_site);
    Py_VISIT(self->entry);
    Py_VISIT(self->listeners);
    return 0;
}

static int
core_clear(ProxyCore *self)
{
    Py_CLEAR(self->coro);
    Py_CLEAR(self->id);
    Py_CLEAR(self->steps);
    Py_CLEAR(self->tracker);
    Py_CLEAR(self->rec);
    Py_CLEAR(self->sleep0);
    Py_CLEAR(self->task);
    Py_CLEAR(self->last_inner);
    Py_CLEAR(self->last_site);
    Py_CLEAR(self->entry);
    Py_CLEAR(self->listeners);
    return 0;
}

static void
core_dealloc(ProxyCore *self)
{
    PyObject_GC_UnTrack(self);
    if (self->weakrefs != NULL) {
        PyObject_ClearWeakRefs((PyObject *)self);
    }
    core_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
core_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    ProxyCore *self = (ProxyCore *)type->tp_alloc(type, 0);
    if (self != NULL) {
        self->last_lasti = -1;
    }
    return (PyObject *)self;
}

#define SET_FIELD(field, value) do { PyObject *_old = (field); (field) = (value); Py_XDECREF(_old); } while (0)

/* The fields _PythonCore.__init__ sets (all arguments borrowed). 0, or -1 if ``id`` is not an
 * int64. */
static int
core_fill(ProxyCore *self, PyObject *coro, PyObject *id, PyObject *tracker, PyObject *rec,
          PyObject *steps, PyObject *sleep0)
{
    long long id_ll = PyLong_AsLongLong(id);
    if (id_ll == -1 && PyErr_Occurred()) {
        return -1;
    }
    self->id_ll = id_ll;
    self->last_site_ll = 0;
    SET_FIELD(self->coro, Py_NewRef(coro));
    SET_FIELD(self->id, Py_NewRef(id));
    SET_FIELD(self->tracker, Py_NewRef(tracker));
    SET_FIELD(self->rec, Py_NewRef(rec));
    SET_FIELD(self->steps, Py_NewRef(steps));
    SET_FIELD(self->sleep0, Py_NewRef(sleep0));
    SET_FIELD(self->task, Py_NewRef(Py_None));
    SET_FIELD(self->last_inner, Py_NewRef(Py_None));
    SET_FIELD(self->last_site, PyLong_FromLong(0));
    SET_FIELD(self->entry, NULL);
    SET_FIELD(self->listeners, NULL);
    self->last_lasti = -1;
    self->waiting = 0;
    self->named = 0;
    return 0;
}

/* CoroutineProxy(coro, task_id, tracker) */
static int
core_init(ProxyCore *self, PyObject *args, PyObject *kwds)
{
    PyObject *coro, *id, *tracker;
    if (!PyTuple_CheckExact(args) || PyTuple_GET_SIZE(args) != 3 || kwds != NULL) {
        if (!PyArg_ParseTuple(args, "OOO:CoroutineProxy", &coro, &id, &tracker)) {
            return -1;
        }
    }
    else {
        coro = PyTuple_GET_ITEM(args, 0);
        id = PyTuple_GET_ITEM(args, 1);
        tracker = PyTuple_GET_ITEM(args, 2);
    }
    PyObject *rec = PyObject_GetAttr(tracker, str_recorder);
    PyObject *steps = PyObject_GetAttr(tracker, str_steps);
    PyObject *sleep0 = PyObject_GetAttr(tracker, str_sleep0_sites);
    if (rec == NULL || steps == NULL || sleep0 == NULL) {
        Py_XDECREF(rec);
        Py_XDECREF(steps);
        Py_XDECREF(sleep0);
        return -1;
    }
    int rc = core_fill(self, coro, id, tracker, rec, steps, sleep0);
    Py_DECREF(rec);
    Py_DECREF(steps);
    Py_DECREF(sleep0);
    return rc;
}

/* The code object of a native coroutine, borrowed (it lives as long as the coroutine). */
static inline PyObject *
coro_code(PyObject *coro)
{
#if PY_VERSION_HEX >= 0x030C0000
    PyCodeObject *code = PyGen_GetCode((PyGenObject *)coro); /* new reference */
    Py_DECREF(code);
    return (PyObject *)code;
#else
    return (PyObject *)((PyCoroObject *)coro)->cr_code;
#endif
}

/* True (1) / False (0) from sites._user_cache, or -1 if the code was never classified. */
static int
cached_user(PyObject *code)
{
    if (user_cache == NULL) {
        return -1;
    }
    PyObject *key = PyLong_FromVoidPtr(code);
    if (key == NULL) {
        PyErr_Clear();
        return -1;
    }
    PyObject *hit = PyDict_GetItemWithError(user_cache, key); /* borrowed */
    Py_DECREF(key);
    if (hit == NULL) {
        PyErr_Clear();
        return -1;
    }
    return hit == Py_True;
}

/* f_lasti of the (native, just suspended) coroutine's own frame: 1 when read, 0 when it has no
 * frame, -1 on error. */
static int
own_lasti(ProxyCore *self, int *lasti)
{
    /* Not kept: a second reference would make CPython copy the frame's data out when the
     * coroutine ends (take_ownership); the coroutine keeps its frame object anyway. */
    PyObject *frame = coro_get_frame != NULL ? coro_get_frame(self->coro, coro_get_frame_closure)
                                             : PyObject_GetAttr(self->coro, str_cr_frame);
    if (frame == NULL) {
        return -1;
    }
    int has = PyFrame_Check(frame);
    if (has) {
        *lasti = PyFrame_GetLasti((PyFrameObject *)frame);
    }
    Py_DECREF(frame);
    return has;
}

/* Steals ``site`` (a site id from a Python method, or NULL with an exception set). */
static int
site_of(PyObject *site, long long *out)
{
    if (site == NULL) {
        return -1;
    }
    *out = PyLong_AsLongLong(site);
    Py_DECREF(site);
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

/* Site of a bare yield (``asyncio.sleep(0)``), the hottest path: the shortcut of
 * CoroutineProxy._bare_yield_site (same instruction of the task's own frame, same library
 * coroutine below it), then the shared table for a user frame straight into a library
 * coroutine; anything else goes to that method. 0 with the site id in *out, or -1. */
static int
bare_yield_site(ProxyCore *self, long long end, long long *out)
{
    PyObject *coro = self->coro;
    int lasti = -1;
    int has_frame = own_lasti(self, &lasti);
    if (has_frame < 0) {
        return -1;
    }
    if (has_frame) {
        PyObject *inner = coro_get_await != NULL
            ? coro_get_await(coro, coro_get_await_closure) /* coro is a native coroutine */
            : PyObject_GetAttr(coro, str_cr_await);
        if (inner == NULL) {
            return -1;
        }
        PyObject *site = NULL;
        if (PyCoro_CheckExact(inner)) {
            PyObject *code = coro_code(inner);
            if (lasti == self->last_lasti && code == self->last_inner) {
                Py_DECREF(inner);
                *out = self->last_site_ll;
                return 0;
            }
            else if (self->sleep0 != NULL && PyDict_CheckExact(self->sleep0)
                     && cached_user(code) == 0 && cached_user(coro_code(coro)) == 1) {
                /* own frame (user code), then straight into a library coroutine */
                PyObject *key = Py_BuildValue("(Ni)", PyLong_FromVoidPtr(coro_code(coro)), lasti);
                if (key == NULL) {
                    Py_DECREF(inner);
                    return -1;
                }
                PyObject *hit = PyDict_GetItemWithError(self->sleep0, key);
                Py_DECREF(key);
                long long hit_ll = hit != NULL ? PyLong_AsLongLong(hit) : -1;
                if (hit != NULL && !(hit_ll == -1 && PyErr_Occurred())) {
                    site = hit;
                    self->last_lasti = lasti;
                    self->last_site_ll = hit_ll;
                    SET_FIELD(self->last_inner, Py_NewRef(code));
                    SET_FIELD(self->last_site, Py_NewRef(hit));
                }
                else if (PyErr_Occurred()) {
                    Py_DECREF(inner);
                    return -1;
                }
            }
        }
        Py_DECREF(inner);
        if (site != NULL) {
            *out = self->last_site_ll;
            return 0;
        }
    }
    return site_of(PyObject_CallMethod((PyObject *)self, "_bare_yield_site", "L", end), out);
}

static int
append_step(ProxyCore *self, long long start, long long end, long long site)
{
    PyObject *steps = self->steps;
    if (steps == NULL || !Py_IS_TYPE(steps, &IntLog_Type)) {
        PyErr_SetString(PyExc_RuntimeError, "loopviz proxy used before it was set up");
        return -1;
    }
    if (intlog_append4((IntLog *)steps, self->id_ll, start, end, site) < 0) {
        return -1;
    }
    if (((IntLog *)steps)->len > compact_at) {
        PyObject *r = PyObject_CallMethodNoArgs((PyObject *)self, str_compact);
        Py_XDECREF(r);
        return r == NULL ? -1 : 0;
    }
    return 0;
}

/* The live Task behind self->task (a weakref), as a new reference; NULL without an error if
 * there is none (yet, or any more). */
static PyObject *
live_task(ProxyCore *self)
{
    if (self->task == NULL || !PyWeakref_CheckRef(self->task)) {
        return NULL;
    }
#if PY_VERSION_HEX >= 0x030D0000
    PyObject *task = NULL;
    if (PyWeakref_GetRef(self->task, &task) < 0) {
        PyErr_Clear();
        return NULL;
    }
    return task;
#else
    PyObject *task = PyWeakref_GetObject(self->task);
    return task == Py_None ? NULL : Py_NewRef(task);
#endif
}

/* The task's TaskEntry (new reference), or NULL (with an exception set only on error). */
static PyObject *
task_entry(ProxyCore *self)
{
    if (self->entry != NULL) {
        return Py_NewRef(self->entry);
    }
    PyObject *tasks = PyObject_GetAttr(self->rec, str_tasks);
    PyObject *entry = tasks != NULL && PyDict_Check(tasks)
        ? PyDict_GetItemWithError(tasks, self->id) : NULL; /* borrowed */
    Py_XINCREF(entry);
    Py_XDECREF(tasks);
    return entry;
}

/* CoroutineProxy._read_name in C. */
static int
read_name(ProxyCore *self)
{
    PyObject *task = live_task(self);
    if (task == NULL) {
        return 0; /* an eager first step runs before the factory returns: try next step */
    }
    int rc = -1;
    PyObject *entry = task_entry(self);
    if (entry != NULL) {
        PyObject *name = PyObject_CallMethodNoArgs(task, str_get_name);
        rc = name != NULL ? PyObject_SetAttr(entry, str_name, name) : -1;
        Py_XDECREF(name);
        Py_DECREF(entry);
    }
    else {
        rc = PyErr_Occurred() ? -1 : 0;
    }
    Py_DECREF(task);
    if (rc == 0) {
        self->named = 1;
    }
    return rc;
}

/* CoroutineProxy._finished for a coroutine that returned, when no listener waits for it (the
 * common case): the last step, the outcome and the name on the task's entry. Returns 1 if done,
 * 0 if the Python method must do it, -1 on error. */
static int
finished_fast(ProxyCore *self, long long start)
{
    PyObject *listeners = self->listeners != NULL ? Py_NewRef(self->listeners)
                                                   : PyObject_GetAttr(self->tracker, str_listeners);
    if (listeners == NULL) {
        return -1;
    }
    int busy = !PyList_CheckExact(listeners) || PyList_GET_SIZE(listeners) > 0;
    Py_DECREF(listeners);
    if (busy || self->steps == NULL || !Py_IS_TYPE(self->steps, &IntLog_Type)) {
        return 0;
    }
    long long end = now_ns();
    if (intlog_append4((IntLog *)self->steps, self->id_ll, start, end, -1) < 0) {
        return -1;
    }
    PyObject *task = live_task(self);
    PyObject *outcome = str_result;
    if (task != NULL && str_must_cancel != NULL) {
        /* A Task that was asked to cancel turns a normal return into a cancellation (the
         * attribute's name is loopviz._cpython's, given by configure()). */
        PyObject *must = PyObject_GetAttr(task, str_must_cancel);
        if (must == NULL) {
            PyErr_Clear();
        }
        else {
            if (PyObject_IsTrue(must) == 1) {
                outcome = str_cancelled;
            }
            Py_DECREF(must);
        }
    }
    int rc = -1;
    PyObject *entry = task_entry(self);
    if (entry == NULL) {
        rc = PyErr_Occurred() ? -1 : 1;
    }
    else {
        rc = 1;
        if (task != NULL) {
            PyObject *name = PyObject_CallMethodNoArgs(task, str_get_name);
            /* The final name is on the entry: its weakref to the task (~80 bytes a task,
             * kept for every task of the run) is no longer needed. */
            if (name == NULL || PyObject_SetAttr(entry, str_name, name) < 0
                || PyObject_SetAttr(entry, str_task_ref, Py_None) < 0) {
                rc = -1;
            }
            Py_XDECREF(name);
        }
        PyObject *ended = rc == 1 ? PyObject_GetAttr(entry, str_ended) : NULL;
        if (ended == Py_None) {
            PyObject *when = PyLong_FromLongLong(end);
            if (when == NULL || PyObject_SetAttr(entry, str_ended, when) < 0
                || PyObject_SetAttr(entry, str_outcome, outcome) < 0
                || PyObject_SetAttr(entry, str_exception, Py_None) < 0) {
                rc = -1;
            }
            Py_XDECREF(when);
        }
        else if (ended == NULL) {
            rc = -1;
        }
        Py_XDECREF(ended);
        Py_DECREF(entry);
    }
    Py_XDECREF(task);
    return rc;
}

/* One step. PYGEN_NEXT: *result is what the coroutine yielded. PYGEN_RETURN: *result is its
 * return value (no exception set). PYGEN_ERROR: an exception is set. */
static PySendResult
core_step(ProxyCore *self, PyObject *value, PyObject **result)
{
    PyObject *coro = self->coro;
    *result = NULL;
    if (coro == NULL || !PyCoro_CheckExact(coro) || self->id == NULL) {
        /* not a native coroutine (or not set up): the Python path handles every case */
        PyObject *r = PyObject_CallMethodOneArg((PyObject *)self, str_slow_send, value);
        if (r != NULL) {
            *result = r;
            return PYGEN_NEXT;
        }
        if (PyErr_ExceptionMatches(PyExc_StopIteration)) {
            PyObject *exc = take_exception();
            *result = PyObject_GetAttrString(exc, "value");
            Py_DECREF(exc);
            return *result != NULL ? PYGEN_RETURN : PYGEN_ERROR;
        }
        return PYGEN_ERROR;
    }
    if (!self->named && read_name(self) < 0) {
        return PYGEN_ERROR;
    }
    Py_INCREF(coro);
    long long start = now_ns();
    PyObject *yielded = NULL;
    PySendResult res = PyIter_Send(coro, value, &yielded);
    Py_DECREF(coro);
    if (res == PYGEN_NEXT) {
        long long end = now_ns();
        long long site;
        int ok = yielded == Py_None
            ? bare_yield_site(self, end, &site)
            : site_of(PyObject_CallMethod((PyObject *)self, "_suspended_on", "OL", yielded, end),
                      &site);
        if (ok < 0 || append_step(self, start, end, site) < 0) {
            /* A failure of the recorder itself: the program must not notice. */
            PyErr_WriteUnraisable((PyObject *)self);
        }
        *result = yielded;
        return PYGEN_NEXT;
    }
    PyObject *exc;
    if (res == PYGEN_RETURN) {
        int done = finished_fast(self, start);
        if (done != 0) {
            if (done < 0) {
                PyErr_WriteUnraisable((PyObject *)self);
            }
            *result = yielded;
            return PYGEN_RETURN;
        }
        exc = PyObject_CallOneArg(PyExc_StopIteration, yielded);
        if (exc == NULL) {
            Py_DECREF(yielded);
            return PYGEN_ERROR;
        }
    }
    else {
        exc = take_exception();
        if (exc == NULL) {
            return PYGEN_ERROR;
        }
    }
    PyObject *r = PyObject_CallMethod((PyObject *)self, "_finished", "LO", start, exc);
    if (r == NULL) {
        PyErr_WriteUnraisable((PyObject *)self);
    }
    Py_XDECREF(r);
    if (res == PYGEN_RETURN) {
        Py_DECREF(exc);
        *result = yielded;
        return PYGEN_RETURN;
    }
    give_exception(exc);
    return PYGEN_ERROR;
}

static PyObject *
core_send(ProxyCore *self, PyObject *value)
{
    PyObject *result;
    switch (core_step(self, value, &result)) {
    case PYGEN_NEXT:
        return result;
    case PYGEN_RETURN: {
        /* StopIteration(value) as an instance: a tuple value must not become its args */
        PyObject *exc = PyObject_CallOneArg(PyExc_StopIteration, result);
        Py_DECREF(result);
        if (exc != NULL) {
            give_exception(exc);
        }
        return NULL;
    }
    default:
        return NULL;
    }
}

/* am_send: what a 3.12+ Task calls (PyIter_Send), skipping the method lookup and the
 * StopIteration a normal return would otherwise cost. */
static PySendResult
core_am_send(PyObject *self, PyObject *value, PyObject **result)
{
    return core_step((ProxyCore *)self, value, result);
}

static PyMethodDef core_methods[] = {
    {"send", (PyCFunction)core_send, METH_O,
     "One step of the wrapped coroutine, timed and recorded."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef core_members[] = {
    {"_coro", T_OBJECT_EX, offsetof(ProxyCore, coro), 0, NULL},
    {"task_id", T_OBJECT_EX, offsetof(ProxyCore, id), READONLY, NULL},
    {"_steps", T_OBJECT_EX, offsetof(ProxyCore, steps), 0, NULL},
    {"_tracker", T_OBJECT_EX, offsetof(ProxyCore, tracker), 0, NULL},
    {"_rec", T_OBJECT_EX, offsetof(ProxyCore, rec), 0, NULL},
    {"_sleep0", T_OBJECT_EX, offsetof(ProxyCore, sleep0), 0, NULL},
    {"task", T_OBJECT, offsetof(ProxyCore, task), 0, NULL},
    {"_last_inner", T_OBJECT, offsetof(ProxyCore, last_inner), 0, NULL},
    {"_last_lasti", T_INT, offsetof(ProxyCore, last_lasti), 0, NULL},
    {"waiting", T_BOOL, offsetof(ProxyCore, waiting), 0, NULL},
    {"_named", T_BOOL, offsetof(ProxyCore, named), 0, NULL},
    {"__weaklistoffset__", T_PYSSIZET, offsetof(ProxyCore, weakrefs), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

/* __name__ and __qualname__ of the wrapped coroutine (task reprs show them). Explicit
 * descriptors, not a __getattr__: with one, Python 3.11's Task would no longer find ``send``
 * through the generic lookup and would make a bound method on every step. */
static PyObject *
core_get_coro_attr(ProxyCore *self, void *name)
{
    if (self->coro == NULL) {
        PyErr_SetString(PyExc_AttributeError, "loopviz proxy used before it was set up");
        return NULL;
    }
    return PyObject_GetAttrString(self->coro, (const char *)name);
}

static int
core_set_coro_attr(ProxyCore *self, PyObject *value, void *name)
{
    if (self->coro == NULL) {
        PyErr_SetString(PyExc_AttributeError, "loopviz proxy used before it was set up");
        return -1;
    }
    return PyObject_SetAttrString(self->coro, (const char *)name, value);
}

/* _last_site: kept in step with its machine-int copy (the Python bare-yield path sets it). */
static PyObject *
core_get_last_site(ProxyCore *self, void *closure)
{
    return Py_NewRef(self->last_site != NULL ? self->last_site : Py_None);
}

static int
core_set_last_site(ProxyCore *self, PyObject *value, void *closure)
{
    long long v = value != NULL ? PyLong_AsLongLong(value) : -1;
    if (value == NULL || (v == -1 && PyErr_Occurred())) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "_last_site must be an int");
        }
        return -1;
    }
    SET_FIELD(self->last_site, Py_NewRef(value));
    self->last_site_ll = v;
    return 0;
}

static PyGetSetDef core_getset[] = {
    {"__name__", (getter)core_get_coro_attr, (setter)core_set_coro_attr, NULL, "__name__"},
    {"__qualname__", (getter)core_get_coro_attr, (setter)core_set_coro_attr, NULL,
     "__qualname__"},
    {"_last_site", (getter)core_get_last_site, (setter)core_set_last_site, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyAsyncMethods core_as_async = {
    .am_send = core_am_send,
};

static PyTypeObject ProxyCore_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "loopviz._speedups.ProxyCore",
    .tp_basicsize = sizeof(ProxyCore),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "C core of CoroutineProxy: its fields and the per-step send path.",
    .tp_new = core_new,
    .tp_init = (initproc)core_init,
    .tp_dealloc = (destructor)core_dealloc,
    .tp_traverse = (traverseproc)core_traverse,
    .tp_clear = (inquiry)core_clear,
    .tp_methods = core_methods,
    .tp_members = core_members,
    .tp_getset = core_getset,
    .tp_as_async = &core_as_async,
    .tp_weaklistoffset = offsetof(ProxyCore, weakrefs),
};

/* ======================================================================================== */
/* WakeFilter(on_schedule, proxy_type, task_type, wakes, time_callbacks, py_types):
 * Tracker._schedule_filter's common cases in C, called as filter(callback, args) -> callback for
 * every call_soon. A task's bare step (no arguments, not a Python callable: one of py_types)
 * passes straight through; a C Task's wake-up records the moment its awaited future completed
 * (the task is *ready*); a library callback passes through; anything else (a user callback to
 * time, an unknown code object) goes to Tracker._on_schedule, the reference. */
typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *py_hook;
    PyObject *proxy_type;
    PyObject *task_type;
    PyObject *wakes;
    PyObject *py_types;      /* a tuple of types */
    int time_callbacks;
} WakeFilter;

static PyTypeObject WakeFilter_Type;

static int
wf_traverse(WakeFilter *self, visitproc visit, void *arg)
{
    Py_VISIT(self->py_hook);
    Py_VISIT(self->proxy_type);
    Py_VISIT(self->task_type);
    Py_VISIT(self->py_types);
    return 0;
}

static int
wf_clear(WakeFilter *self)
{
    Py_CLEAR(self->py_hook);
    Py_CLEAR(self->proxy_type);
    Py_CLEAR(self->task_type);
    Py_CLEAR(self->wakes);
    Py_CLEAR(self->py_types);
    return 0;
}

static void
wf_dealloc(WakeFilter *self)
{
    PyObject_GC_UnTrack(self);
    wf_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* True if ``cb`` is one of ``types`` (a tuple of types), by exact type. */
static inline int
type_in(PyObject *types, PyObject *cb)
{
    Py_ssize_t n = PyTuple_GET_SIZE(types);
    for (Py_ssize_t i = 0; i < n; i++) {
        if ((PyObject *)Py_TYPE(cb) == PyTuple_GET_ITEM(types, i)) {
            return 1;
        }
    }
    return 0;
}

static int
record_wake(WakeFilter *self, PyObject *task)
{
    PyObject *proxy = PyObject_CallMethodNoArgs(task, str_get_coro);
    if (proxy == NULL) {
        return -1;
    }
    int rc = 0;
    if ((PyObject *)Py_TYPE(proxy) == self->proxy_type && ((ProxyCore *)proxy)->waiting
        && ((ProxyCore *)proxy)->id != NULL) {
        ((ProxyCore *)proxy)->waiting = 0;
        long long when = now_ns();
        if (Py_IS_TYPE(self->wakes, &IntLog_Type)) {
            IntLog *log = (IntLog *)self->wakes;
            long long id = ((ProxyCore *)proxy)->id_ll;
            if (intlog_reserve(log, 2) < 0) {
                rc = -1;
            }
            else {
                log->data[log->len] = id;
                log->data[log->len + 1] = when;
                log->len += 2;
            }
        }
        else {
            PyObject *r = PyObject_CallMethod(self->wakes, "extend", "((OL))",
                                              ((ProxyCore *)proxy)->id, when);
            rc = r == NULL ? -1 : 0;
            Py_XDECREF(r);
        }
    }
    Py_DECREF(proxy);
    return rc;
}

/* The callback to schedule instead of ``cb`` (a new reference). ``rest`` holds the callback's
 * arguments (nrest of them); ``rest_tuple`` is them as a tuple if the caller has one. */
static PyObject *
wf_apply(WakeFilter *self, PyObject *cb, PyObject *const *rest, Py_ssize_t nrest,
         PyObject *rest_tuple)
{
    PyTypeObject *kind = Py_TYPE(cb);
    if (kind == &PyCFunction_Type) {
        PyObject *owner = PyCFunction_GET_SELF(cb);
        if (nrest > 0 && owner != NULL && PyObject_TypeCheck(owner, (PyTypeObject *)self->task_type)
            && record_wake(self, owner) < 0) {
            return NULL;
        }
        return Py_NewRef(cb);
    }
    PyObject *func = cb;
    if (kind == &PyMethod_Type) {
        if (PyObject_TypeCheck(PyMethod_GET_SELF(cb), (PyTypeObject *)self->task_type)) {
            return Py_NewRef(cb); /* a pure-Python task's step or wake-up */
        }
        func = PyMethod_GET_FUNCTION(cb);
    }
    if (!self->time_callbacks) {
        return Py_NewRef(cb);
    }
    if (Py_IS_TYPE(func, &PyFunction_Type) && cached_user(PyFunction_GET_CODE(func)) == 0) {
        return Py_NewRef(cb); /* library code: nothing to time */
    }
    PyObject *tuple = rest_tuple;
    if (tuple == NULL) {
        tuple = PyTuple_New(nrest);
        if (tuple == NULL) {
            return NULL;
        }
        for (Py_ssize_t i = 0; i < nrest; i++) {
            PyTuple_SET_ITEM(tuple, i, Py_NewRef(rest[i]));
        }
    }
    PyObject *out = PyObject_CallFunctionObjArgs(self->py_hook, cb, tuple, NULL);
    if (tuple != rest_tuple) {
        Py_DECREF(tuple);
    }
    return out;
}

static PyObject *
wf_vectorcall(WakeFilter *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs != 2 || kwnames != NULL || !PyTuple_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "WakeFilter(callback, args: tuple)");
        return NULL;
    }
    PyObject *rest = args[1];
    if (PyTuple_GET_SIZE(rest) == 0 && !type_in(self->py_types, args[0])) {
        return Py_NewRef(args[0]); /* a task's bare step */
    }
    return wf_apply(self, args[0], &PyTuple_GET_ITEM(rest, 0), PyTuple_GET_SIZE(rest), rest);
}

static PyObject *
wf_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *py_hook, *proxy_type, *task_type, *wakes, *py_types;
    int time_callbacks;
    if (!PyArg_ParseTuple(args, "OOO!OpO!:WakeFilter", &py_hook, &proxy_type, &PyType_Type,
                          &task_type, &wakes, &time_callbacks, &PyTuple_Type, &py_types)) {
        return NULL;
    }
    WakeFilter *self = (WakeFilter *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->py_hook = Py_NewRef(py_hook);
    self->proxy_type = Py_NewRef(proxy_type);
    self->task_type = Py_NewRef(task_type);
    self->wakes = Py_NewRef(wakes);
    self->py_types = Py_NewRef(py_types);
    self->time_callbacks = time_callbacks;
    self->vectorcall = (vectorcallfunc)wf_vectorcall;
    return (PyObject *)self;
}

static PyMemberDef wf_members[] = {
    {"__wrapped__", T_OBJECT, offsetof(WakeFilter, py_hook), READONLY, NULL},
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(WakeFilter, vectorcall), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject WakeFilter_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "loopviz._speedups.WakeFilter",
    .tp_basicsize = sizeof(WakeFilter),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "Tracker._on_schedule's common cases in C (see _speedups.c).",
    .tp_new = wf_new,
    .tp_dealloc = (destructor)wf_dealloc,
    .tp_traverse = (traverseproc)wf_traverse,
    .tp_clear = (inquiry)wf_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(WakeFilter, vectorcall),
    .tp_members = wf_members,
};

/* ======================================================================================== */
typedef struct {
    PyObject_HEAD
    PyObject *orig;      /* the loop's own call_soon */
    PyObject *hook;      /* tracker._on_schedule(callback, args) -> callback */
    PyObject *py_types;  /* tuple of callable types that always pass through the hook */
    vectorcallfunc vectorcall;
} ScheduleHook;

static int
sh_traverse(ScheduleHook *self, visitproc visit, void *arg)
{
    Py_VISIT(self->orig);
    Py_VISIT(self->hook);
    Py_VISIT(self->py_types);
    return 0;
}

static int
sh_clear(ScheduleHook *self)
{
    Py_CLEAR(self->orig);
    Py_CLEAR(self->hook);
    Py_CLEAR(self->py_types);
    return 0;
}

static void
sh_dealloc(ScheduleHook *self)
{
    PyObject_GC_UnTrack(self);
    sh_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
sh_vectorcall(ScheduleHook *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs < 1 || (nargs == 1 && !type_in(self->py_types, args[0]))) {
        return PyObject_Vectorcall(self->orig, args, nargsf, kwnames);
    }
    PyObject *callback;
    if (Py_IS_TYPE(self->hook, &WakeFilter_Type)) {
        callback = wf_apply((WakeFilter *)self->hook, args[0], args + 1, nargs - 1, NULL);
    }
    else {
        PyObject *rest = PyTuple_New(nargs - 1);
        if (rest == NULL) {
            return NULL;
        }
        for (Py_ssize_t i = 1; i < nargs; i++) {
            PyTuple_SET_ITEM(rest, i - 1, Py_NewRef(args[i]));
        }
        callback = PyObject_CallFunctionObjArgs(self->hook, args[0], rest, NULL);
        Py_DECREF(rest);
    }
    if (callback == NULL) {
        return NULL;
    }
    Py_ssize_t total = nargs + (kwnames != NULL ? PyTuple_GET_SIZE(kwnames) : 0);
    PyObject *small[8];
    PyObject **stack = total <= 8 ? small : PyMem_Malloc(total * sizeof(PyObject *));
    if (stack == NULL) {
        Py_DECREF(callback);
        return PyErr_NoMemory();
    }
    stack[0] = callback;
    for (Py_ssize_t i = 1; i < total; i++) {
        stack[i] = args[i];
    }
    PyObject *result = PyObject_Vectorcall(self->orig, stack, nargs, kwnames);
    if (stack != small) {
        PyMem_Free(stack);
    }
    Py_DECREF(callback);
    return result;
}

static PyObject *
sh_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *orig, *hook, *py_types;
    if (!PyArg_ParseTuple(args, "OOO!:ScheduleHook", &orig, &hook, &PyTuple_Type, &py_types)) {
        return NULL;
    }
    ScheduleHook *self = (ScheduleHook *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->orig = Py_NewRef(orig);
    self->hook = Py_NewRef(hook);
    self->py_types = Py_NewRef(py_types);
    self->vectorcall = (vectorcallfunc)sh_vectorcall;
    return (PyObject *)self;
}

static PyObject *
sh_repr(ScheduleHook *self)
{
    return PyUnicode_FromFormat("<loopviz call_soon hook over %R>", self->orig);
}

static PyMemberDef sh_members[] = {
    {"__wrapped__", T_OBJECT, offsetof(ScheduleHook, orig), READONLY, NULL},
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(ScheduleHook, vectorcall), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject ScheduleHook_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "loopviz._speedups.ScheduleHook",
    .tp_basicsize = sizeof(ScheduleHook),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "ScheduleHook(call_soon, on_schedule, py_types): call_soon that reports "
              "wake-ups and plain callbacks to on_schedule first.",
    .tp_new = sh_new,
    .tp_dealloc = (destructor)sh_dealloc,
    .tp_traverse = (traverseproc)sh_traverse,
    .tp_clear = (inquiry)sh_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(ScheduleHook, vectorcall),
    .tp_repr = (reprfunc)sh_repr,
    .tp_members = sh_members,
};

/* ======================================================================================== */
/* TaskFactory: Tracker._factory's common case in C (a native coroutine, no previous factory,
 * only ``context``/``name`` keywords); anything else is handed to that Python method, the
 * reference. Same records: a TaskEntry in recorder.tasks (created before the Task exists), a
 * CoroutineProxy wrapping the coroutine, weakrefs to the Task on both, listeners told. */
#define ENTRY_ARGS 6
#define ENTRY_MAX 16

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *py_factory;    /* tracker._factory */
    PyObject *tracker;
    PyObject *proxy_type;    /* CoroutineProxy */
    PyObject *entry_type;    /* TaskEntry */
    PyObject *task_type;     /* asyncio.Task */
    PyObject *tasks;         /* recorder.tasks */
    PyObject *ids;           /* recorder.task_ids (an itertools.count) */
    PyObject *current_task;  /* current_task(loop) -> Task | None */
    PyObject *is_user_code;  /* sites.is_user_code, for code objects not yet cached */
    PyObject *listeners;     /* tracker.listeners */
    PyObject *kw_loop;       /* ("loop",) */
    PyObject *kw_loop_context; /* ("loop", "context") */
    PyObject *rec, *steps, *sleep0; /* the tracker's, for the proxies made here */
    int direct_proxy;        /* CoroutineProxy adds no __init__: fill a ProxyCore directly */
    /* TaskEntry made without running its Python __init__: the six positional fields set from
     * the call, the others copied from a prototype made by the real __init__ (its defaults).
     * n_entry_rest < 0: not a plain slots class, call it instead. */
    PyObject *entry_proto;
    PyMemberDef *entry_args[ENTRY_ARGS];
    PyMemberDef *entry_rest[ENTRY_MAX];
    Py_ssize_t n_entry_rest;
    PyMemberDef *entry_task_ref;
    PyObject *line_code;     /* site_line's cache */
    int line_lasti, line;
} TaskFactory;

static int
tf_traverse(TaskFactory *self, visitproc visit, void *arg)
{
    Py_VISIT(self->py_factory);
    Py_VISIT(self->tracker);
    Py_VISIT(self->proxy_type);
    Py_VISIT(self->entry_type);
    Py_VISIT(self->task_type);
    Py_VISIT(self->tasks);
    Py_VISIT(self->ids);
    Py_VISIT(self->current_task);
    Py_VISIT(self->is_user_code);
    Py_VISIT(self->listeners);
    Py_VISIT(self->rec);
    Py_VISIT(self->steps);
    Py_VISIT(self->sleep0);
    Py_VISIT(self->entry_proto);
    Py_VISIT(self->line_code);
    return 0;
}

static int
tf_clear(TaskFactory *self)
{
    Py_CLEAR(self->py_factory);
    Py_CLEAR(self->tracker);
    Py_CLEAR(self->proxy_type);
    Py_CLEAR(self->entry_type);
    Py_CLEAR(self->task_type);
    Py_CLEAR(self->tasks);
    Py_CLEAR(self->ids);
    Py_CLEAR(self->current_task);
    Py_CLEAR(self->is_user_code);
    Py_CLEAR(self->listeners);
    Py_CLEAR(self->kw_loop);
    Py_CLEAR(self->kw_loop_context);
    Py_CLEAR(self->rec);
    Py_CLEAR(self->steps);
    Py_CLEAR(self->sleep0);
    Py_CLEAR(self->entry_proto);
    Py_CLEAR(self->line_code);
    self->n_entry_rest = -1;
    self->direct_proxy = 0;
    return 0;
}

static void
tf_dealloc(TaskFactory *self)
{
    PyObject_GC_UnTrack(self);
    tf_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
is_user(TaskFactory *self, PyObject *code)
{
    int cached = cached_user(code);
    if (cached >= 0) {
        return cached;
    }
    PyObject *r = PyObject_CallOneArg(self->is_user_code, code);
    if (r == NULL) {
        return -1;
    }
    int ok = PyObject_IsTrue(r);
    Py_DECREF(r);
    return ok;
}

/* The line of ``code`` at byte offset ``lasti``, from the factory's one-entry cache: tasks
 * are mostly created in bursts from one place (a loop, a gather), and a line-table walk per
 * task is measurable. */
static int
site_line(TaskFactory *self, PyCodeObject *code, int lasti)
{
    if ((PyObject *)code != self->line_code || lasti != self->line_lasti) {
        SET_FIELD(self->line_code, Py_NewRef((PyObject *)code));
        self->line_lasti = lasti;
        self->line = PyCode_Addr2Line(code, lasti);
    }
    return self->line;
}

/* file and line of ``frame`` (the line from the factory's cache). New reference in *file. */
static void
frame_site(TaskFactory *self, PyFrameObject *frame, PyObject **file, int *line)
{
    PyCodeObject *code = PyFrame_GetCode(frame); /* new */
    *file = Py_NewRef(code->co_filename);
    *line = site_line(self, code, PyFrame_GetLasti(frame));
    Py_DECREF(code);
}

/* file:line of the innermost user frame that asked for the task (the factory itself has no
 * Python frame: the innermost one is create_task's); else of create_task's caller. New
 * reference in *file. */
static int
creation_site(TaskFactory *self, PyObject **file, int *line)
{
    PyFrameObject *top = PyEval_GetFrame(); /* borrowed */
    PyFrameObject *first = top != NULL ? PyFrame_GetBack(top) : NULL; /* new */
    PyFrameObject *frame = (PyFrameObject *)Py_XNewRef(first);
    while (frame != NULL) {
        PyCodeObject *code = PyFrame_GetCode(frame); /* new */
        int ok = is_user(self, (PyObject *)code);
        Py_DECREF(code);
        if (ok != 0) {
            if (ok > 0) {
                frame_site(self, frame, file, line);
            }
            Py_DECREF(frame);
            Py_DECREF(first);
            return ok > 0 ? 0 : -1;
        }
        PyFrameObject *back = PyFrame_GetBack(frame);
        Py_DECREF(frame);
        frame = back;
    }
    if (first != NULL) {
        frame_site(self, first, file, line);
        Py_DECREF(first);
    }
    else {
        *file = Py_NewRef(str_empty);
        *line = 0;
    }
    return 0;
}

/* The recorded id of the task in its step now, or None. New reference. */
static PyObject *
parent_id(TaskFactory *self, PyObject *loop)
{
    PyObject *task = PyObject_CallOneArg(self->current_task, loop);
    if (task == NULL) {
        return NULL;
    }
    if (task == Py_None) {
        return task;
    }
    PyObject *coro = PyObject_CallMethodNoArgs(task, str_get_coro);
    Py_DECREF(task);
    if (coro == NULL) {
        return NULL;
    }
    PyObject *out = Py_None;
    if ((PyObject *)Py_TYPE(coro) == self->proxy_type && ((ProxyCore *)coro)->id != NULL) {
        out = ((ProxyCore *)coro)->id;
    }
    Py_INCREF(out);
    Py_DECREF(coro);
    return out;
}

/* A TaskEntry (see the struct); new reference. */
static PyObject *
new_entry(TaskFactory *self, PyObject **args)
{
    if (self->n_entry_rest < 0) {
        return PyObject_Vectorcall(self->entry_type, args, ENTRY_ARGS, NULL);
    }
    PyTypeObject *tp = (PyTypeObject *)self->entry_type;
    PyObject *entry = tp->tp_alloc(tp, 0);
    if (entry == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < self->n_entry_rest; i++) {
        PyObject *v = PyMember_GetOne((const char *)self->entry_proto, self->entry_rest[i]);
        int rc = v != NULL ? PyMember_SetOne((char *)entry, self->entry_rest[i], v) : -1;
        Py_XDECREF(v);
        if (rc < 0) {
            Py_DECREF(entry);
            return NULL;
        }
    }
    for (int i = 0; i < ENTRY_ARGS; i++) {
        if (PyMember_SetOne((char *)entry, self->entry_args[i], args[i]) < 0) {
            Py_DECREF(entry);
            return NULL;
        }
    }
    /* Its fields are strings, ints, None and a weakref: it can never be part of a reference
       cycle, and one fewer tracked object per task is measurably less collector work. */
    PyObject_GC_UnTrack(entry);
    return entry;
}

/* CoroutineProxy(coro, tid, tracker), without the type call when it adds no __init__. */
static PyObject *
new_proxy(TaskFactory *self, PyObject *coro, PyObject *tid)
{
    if (!self->direct_proxy) {
        PyObject *pargs[3] = {coro, tid, self->tracker};
        return PyObject_Vectorcall(self->proxy_type, pargs, 3, NULL);
    }
    PyTypeObject *tp = (PyTypeObject *)self->proxy_type;
    ProxyCore *proxy = (ProxyCore *)tp->tp_alloc(tp, 0);
    if (proxy != NULL
        && core_fill(proxy, coro, tid, self->tracker, self->rec, self->steps, self->sleep0) < 0) {
        Py_CLEAR(proxy);
    }
    return (PyObject *)proxy;
}

/* Prepares new_entry's direct path for ``entry_type``; leaves n_entry_rest < 0 (the type is
 * called) for anything but a class whose fields are all slots. 0 or -1 on error. */
static int
tf_setup_entries(TaskFactory *self)
{
    self->n_entry_rest = -1;
    PyObject *slots = NULL, *args = NULL;
    PyObject *proto_args[ENTRY_ARGS] = {str_empty, str_empty, Py_None, NULL, str_empty, NULL};
    int rc = -1;
    proto_args[3] = proto_args[5] = PyLong_FromLong(0);
    if (proto_args[3] == NULL) {
        return -1;
    }
    self->entry_proto = PyObject_Vectorcall(self->entry_type, proto_args, ENTRY_ARGS, NULL);
    Py_DECREF(proto_args[3]);
    if (self->entry_proto == NULL) {
        return -1;
    }
    if (!PyType_Check(self->entry_type)
        || ((PyTypeObject *)self->entry_type)->tp_dictoffset != 0) {
        return 0;
    }
    slots = PyObject_GetAttrString(self->entry_type, "__slots__");
    args = PyObject_GetAttrString(self->entry_type, "__match_args__"); /* __init__'s order */
    if (slots == NULL || args == NULL) {
        PyErr_Clear();
        rc = 0;
        goto done;
    }
    PyObject *seq = PySequence_Tuple(slots);
    Py_SETREF(slots, seq);
    seq = args != NULL ? PySequence_Tuple(args) : NULL;
    Py_SETREF(args, seq);
    if (slots == NULL || args == NULL) {
        goto done;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(slots);
    rc = 0;
    if (n > ENTRY_MAX || PyTuple_GET_SIZE(args) < ENTRY_ARGS) {
        goto done;
    }
    PyMemberDef *rest[ENTRY_MAX];
    Py_ssize_t n_rest = 0;
    int found = 0;
    PyMemberDef *task_ref = NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *name = PyTuple_GET_ITEM(slots, i);
        PyObject *descr = PyObject_GetAttr(self->entry_type, name);
        if (descr == NULL) {
            rc = -1;
            goto done;
        }
        int ok = Py_IS_TYPE(descr, &PyMemberDescr_Type);
        PyMemberDef *m = ok ? ((PyMemberDescrObject *)descr)->d_member : NULL;
        Py_DECREF(descr); /* the type keeps it, and we keep the type */
        if (!ok) {
            goto done;
        }
        int positional = 0;
        for (int j = 0; j < ENTRY_ARGS; j++) {
            int eq = PyObject_RichCompareBool(name, PyTuple_GET_ITEM(args, j), Py_EQ);
            if (eq < 0) {
                rc = -1;
                goto done;
            }
            if (eq) {
                self->entry_args[j] = m;
                positional = 1;
                found++;
            }
        }
        if (!positional) {
            rest[n_rest++] = m;
        }
        if (PyUnicode_Check(name) && PyUnicode_CompareWithASCIIString(name, "task_ref") == 0) {
            task_ref = m;
        }
    }
    if (found == ENTRY_ARGS && task_ref != NULL) {
        memcpy(self->entry_rest, rest, sizeof(rest[0]) * n_rest);
        self->entry_task_ref = task_ref;
        self->n_entry_rest = n_rest;
    }
done:
    Py_XDECREF(slots);
    Py_XDECREF(args);
    return rc;
}

static PyObject *
tf_slow(TaskFactory *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    return PyObject_Vectorcall(self->py_factory, args, nargsf, kwnames);
}

static PyObject *
tf_vectorcall(TaskFactory *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    Py_ssize_t nkw = kwnames != NULL ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs != 2 || !PyCoro_CheckExact(args[1]) || nkw > 1) {
        return tf_slow(self, args, nargsf, kwnames);
    }
    PyObject *context = NULL;
    if (nkw == 1) {
        if (PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), "context") != 0) {
            return tf_slow(self, args, nargsf, kwnames); /* name=, eager_start=: rare */
        }
        context = args[2];
    }
    PyObject *loop = args[0], *coro = args[1];
    PyObject *tid = NULL, *file = NULL, *qualname = NULL, *parent = NULL, *created = NULL;
    PyObject *entry = NULL, *proxy = NULL, *task = NULL, *ref = NULL;
    int line = 0;

    tid = PyIter_Next(self->ids);
    if (tid == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_RuntimeError, "task ids exhausted");
        }
        goto done;
    }
    if (creation_site(self, &file, &line) < 0) {
        goto done;
    }
    qualname = PyObject_GetAttr(coro, str_qualname);
    parent = parent_id(self, loop);
    created = PyLong_FromLongLong(now_ns());
    if (qualname == NULL || parent == NULL || created == NULL) {
        goto done;
    }
    {
        PyObject *lineobj = PyLong_FromLong(line);
        if (lineobj == NULL) {
            goto done;
        }
        PyObject *eargs[ENTRY_ARGS] = {str_empty, qualname, parent, created, file, lineobj};
        entry = new_entry(self, eargs);
        Py_DECREF(lineobj);
    }
    if (entry == NULL || PyDict_SetItem(self->tasks, tid, entry) < 0) {
        goto done;
    }
    proxy = new_proxy(self, coro, tid);
    if (proxy == NULL) {
        goto done;
    }
    if (context != NULL) {
        PyObject *targs[3] = {proxy, loop, context};
        task = PyObject_Vectorcall(self->task_type, targs, 1, self->kw_loop_context);
    }
    else {
        PyObject *targs[2] = {proxy, loop};
        task = PyObject_Vectorcall(self->task_type, targs, 1, self->kw_loop);
    }
    if (task == NULL) {
        goto done;
    }
    ref = PyWeakref_NewRef(task, NULL);
    if (ref == NULL || (self->n_entry_rest >= 0
                        ? PyMember_SetOne((char *)entry, self->entry_task_ref, ref)
                        : PyObject_SetAttr(entry, str_task_ref, ref)) < 0) {
        Py_CLEAR(task);
        goto done;
    }
    if (((PyWeakReference *)ref)->wr_callback == NULL) {
        PyObject_GC_UnTrack(ref); /* no callback: it refers to nothing that could form a cycle */
    }
    if (PyObject_TypeCheck(proxy, &ProxyCore_Type)) {
        ProxyCore *core = (ProxyCore *)proxy;
        SET_FIELD(core->task, Py_NewRef(ref));
        SET_FIELD(core->entry, Py_NewRef(entry));
        SET_FIELD(core->listeners, Py_NewRef(self->listeners));
    }
    if (PyList_Check(self->listeners) && PyList_GET_SIZE(self->listeners) > 0) {
        PyObject *r = PyObject_CallMethodObjArgs(self->tracker, str_notify_created, tid, task,
                                                 coro, NULL);
        if (r == NULL) {
            Py_CLEAR(task);
            goto done;
        }
        Py_DECREF(r);
    }
done:
    Py_XDECREF(tid);
    Py_XDECREF(file);
    Py_XDECREF(qualname);
    Py_XDECREF(parent);
    Py_XDECREF(created);
    Py_XDECREF(entry);
    Py_XDECREF(proxy);
    Py_XDECREF(ref);
    return task;
}

static PyObject *
tf_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *py_factory, *tracker, *proxy_type, *entry_type, *task_type, *tasks, *ids,
        *current_task, *is_user_code, *listeners;
    if (!PyArg_ParseTuple(args, "OOOOOO!OOOO!:TaskFactory", &py_factory, &tracker, &proxy_type,
                          &entry_type, &task_type, &PyDict_Type, &tasks, &ids, &current_task,
                          &is_user_code, &PyList_Type, &listeners)) {
        return NULL;
    }
    TaskFactory *self = (TaskFactory *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->py_factory = Py_NewRef(py_factory);
    self->tracker = Py_NewRef(tracker);
    self->proxy_type = Py_NewRef(proxy_type);
    self->entry_type = Py_NewRef(entry_type);
    self->task_type = Py_NewRef(task_type);
    self->tasks = Py_NewRef(tasks);
    self->ids = Py_NewRef(ids);
    self->current_task = Py_NewRef(current_task);
    self->is_user_code = Py_NewRef(is_user_code);
    self->listeners = Py_NewRef(listeners);
    self->kw_loop = Py_BuildValue("(s)", "loop");
    self->kw_loop_context = Py_BuildValue("(ss)", "loop", "context");
    self->vectorcall = (vectorcallfunc)tf_vectorcall;
    self->line_lasti = -1;
    self->rec = PyObject_GetAttr(tracker, str_recorder);
    self->steps = PyObject_GetAttr(tracker, str_steps);
    self->sleep0 = PyObject_GetAttr(tracker, str_sleep0_sites);
    if (self->kw_loop == NULL || self->kw_loop_context == NULL || self->rec == NULL
        || self->steps == NULL || self->sleep0 == NULL || tf_setup_entries(self) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    PyTypeObject *ptype = (PyTypeObject *)proxy_type;
    self->direct_proxy = PyType_Check(proxy_type) && PyType_IsSubtype(ptype, &ProxyCore_Type)
        && ptype->tp_init == (initproc)core_init && ptype->tp_new == core_new;
    return (PyObject *)self;
}

static PyMemberDef tf_members[] = {
    {"__wrapped__", T_OBJECT, offsetof(TaskFactory, py_factory), READONLY, NULL},
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(TaskFactory, vectorcall), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject TaskFactory_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "loopviz._speedups.TaskFactory",
    .tp_basicsize = sizeof(TaskFactory),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "Tracker._factory's common case in C (see _speedups.c).",
    .tp_new = tf_new,
    .tp_dealloc = (destructor)tf_dealloc,
    .tp_traverse = (traverseproc)tf_traverse,
    .tp_clear = (inquiry)tf_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(TaskFactory, vectorcall),
    .tp_members = tf_members,
};

/* ======================================================================================== */
static PyObject *
configure(PyObject *module, PyObject *args)
{
    Py_ssize_t n;
    PyObject *cache, *must_cancel;
    if (!PyArg_ParseTuple(args, "nO!U:configure", &n, &PyDict_Type, &cache, &must_cancel)) {
        return NULL;
    }
    compact_at = n;
    Py_XSETREF(user_cache, Py_NewRef(cache));
    Py_INCREF(must_cancel);
    PyUnicode_InternInPlace(&must_cancel);
    Py_XSETREF(str_must_cancel, must_cancel);
    Py_RETURN_NONE;
}

static PyObject *
monotonic_ns(PyObject *module, PyObject *unused)
{
    return PyLong_FromLongLong(now_ns());
}

/* give_am_send(cls): a Python subclass of ProxyCore does not inherit am_send (CPython's
 * inherit_slots copies am_await, am_aiter and am_anext only), and without it 3.12+'s
 * PyIter_Send, which is how their Tasks step a coroutine, looks ``send`` up and calls it (and a
 * coroutine's return becomes a StopIteration). Only for a class whose ``send`` is the core's. */
static PyObject *
give_am_send(PyObject *module, PyObject *cls)
{
    if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &ProxyCore_Type)
        || ((PyTypeObject *)cls)->tp_as_async == NULL) {
        PyErr_SetString(PyExc_TypeError, "give_am_send(cls): cls must subclass ProxyCore");
        return NULL;
    }
    PyObject *own = PyObject_GetAttrString(cls, "send");
    PyObject *core = PyObject_GetAttrString((PyObject *)&ProxyCore_Type, "send");
    int same = own != NULL && own == core;
    Py_XDECREF(own);
    Py_XDECREF(core);
    if (PyErr_Occurred()) {
        return NULL;
    }
    if (same) {
        ((PyTypeObject *)cls)->tp_as_async->am_send = core_am_send;
    }
    return PyBool_FromLong(same);
}

static PyMethodDef module_methods[] = {
    {"give_am_send", give_am_send, METH_O,
     "give_am_send(cls): install the core's am_send on a subclass that keeps its send."},
    {"configure", configure, METH_VARARGS,
     "configure(compact_at, user_cache, must_cancel): the recorder's compaction threshold "
     "(ints in the step list), sites._user_cache (id(code) -> is user code) and the name of "
     "the Task attribute that says a cancellation is pending (loopviz._cpython's)."},
    {"monotonic_ns", monotonic_ns, METH_NOARGS, "The clock the proxy stamps steps with."},
    {NULL, NULL, 0, NULL},
};

#define INTERN(var, text) \
    if ((var = PyUnicode_InternFromString(text)) == NULL) return -1

/* The native coroutine type's getter of ``name`` (left NULL if it is not a plain getset
 * descriptor: callers then look the attribute up). */
static int
coro_getter(PyObject *name, getter *get, void **closure)
{
    PyObject *descr = PyObject_GetAttr((PyObject *)&PyCoro_Type, name);
    if (descr == NULL) {
        return -1;
    }
    if (Py_IS_TYPE(descr, &PyGetSetDescr_Type)) {
        *get = ((PyGetSetDescrObject *)descr)->d_getset->get;
        *closure = ((PyGetSetDescrObject *)descr)->d_getset->closure;
    }
    Py_DECREF(descr); /* the type keeps it */
    return 0;
}

/* Multi-phase initialisation (PEP 489): the module object is made by the import system, this
 * fills it. The types are static and the interned names process-wide, so the module is for
 * one interpreter only (3.12+ says so) and needs the GIL (3.13+: on a free-threaded build,
 * importing it turns the GIL back on, and says so, rather than racing on that state). */
static int
speedups_exec(PyObject *m)
{
    INTERN(str_cr_await, "cr_await");
    INTERN(str_cr_frame, "cr_frame");
    if (coro_getter(str_cr_await, &coro_get_await, &coro_get_await_closure) < 0
        || coro_getter(str_cr_frame, &coro_get_frame, &coro_get_frame_closure) < 0) {
        return -1;
    }
    INTERN(str_slow_send, "_slow_send");
    INTERN(str_compact, "_compact");
    INTERN(str_get_coro, "get_coro");
    INTERN(str_tasks, "tasks");
    INTERN(str_listeners, "listeners");
    INTERN(str_get_name, "get_name");
    INTERN(str_name, "name");
    INTERN(str_ended, "ended");
    INTERN(str_outcome, "outcome");
    INTERN(str_exception, "exception");
    INTERN(str_result, "result");
    INTERN(str_cancelled, "cancelled");
    INTERN(str_recorder, "recorder");
    INTERN(str_steps, "steps");
    INTERN(str_sleep0_sites, "sleep0_sites");
    INTERN(str_qualname, "__qualname__");
    INTERN(str_task_ref, "task_ref");
    INTERN(str_notify_created, "_notify_created");
    INTERN(str_empty, "");
    if (PyType_Ready(&IntLog_Type) < 0 || PyType_Ready(&ProxyCore_Type) < 0
        || PyType_Ready(&ScheduleHook_Type) < 0 || PyType_Ready(&TaskFactory_Type) < 0
        || PyType_Ready(&WakeFilter_Type) < 0) {
        return -1;
    }
    if (PyModule_AddObjectRef(m, "IntLog", (PyObject *)&IntLog_Type) < 0
        || PyModule_AddObjectRef(m, "ProxyCore", (PyObject *)&ProxyCore_Type) < 0
        || PyModule_AddObjectRef(m, "ScheduleHook", (PyObject *)&ScheduleHook_Type) < 0
        || PyModule_AddObjectRef(m, "TaskFactory", (PyObject *)&TaskFactory_Type) < 0
        || PyModule_AddObjectRef(m, "WakeFilter", (PyObject *)&WakeFilter_Type) < 0) {
        return -1;
    }
    return 0;
}

static PyModuleDef_Slot speedups_slots[] = {
    {Py_mod_exec, speedups_exec},
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    {Py_mod_gil, Py_MOD_GIL_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT, "_speedups",
    "C hot paths of loopviz.instrument (optional; proxy.py holds the reference).", 0,
    module_methods, speedups_slots,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModuleDef_Init(&speedups_module);
}
