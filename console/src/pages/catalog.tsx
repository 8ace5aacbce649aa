import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { call, client, type Course, type CourseRun, type Program } from "../api";
import { BASE } from "../config";
import { Link, useLocation } from "../router";
import {
  Checkbox,
  ErrorAlert,
  fromLocalInput,
  LoadMore,
  Notice,
  TextInput,
  toLocalInput,
  useForm,
  usePaged,
  useTitle,
  when,
} from "../ui";

const TABS = [
  ["courses", "Courses"],
  ["runs", "Runs"],
  ["programs", "Programs"],
] as const;

function listOf(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((part) => part.trim())
    .filter(Boolean);
}

/** The form that edits one catalog entry; it takes the register form's place while open. */
function EditForm({
  title,
  error,
  busy,
  onSave,
  onCancel,
  children,
}: {
  title: string;
  error: unknown;
  busy: boolean;
  onSave: () => void;
  onCancel: () => void;
  children: ComponentChildren;
}) {
  return (
    <form
      class="form"
      aria-labelledby="edit-entry"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        onSave();
      }}
    >
      <h2 id="edit-entry">{title}</h2>
      <ErrorAlert error={error} />
      {children}
      <div class="actions">
        <button type="submit" disabled={busy}>
          Save
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function EditCourse({ course, onDone }: { course: Course; onDone: (course: Course | null) => void }) {
  const form = useForm({ title: course.title });
  const save = () =>
    form.submit(async () => {
      const changed = await call(
        client.PATCH("/v1/catalog/courses/{course_id}", {
          params: { path: { course_id: course.course_id } },
          body: { title: form.values.title },
        }),
      );
      onDone(changed);
    });
  return (
    <EditForm
      title={`Edit ${course.course_id}`}
      error={form.general}
      busy={form.busy}
      onSave={() => void save()}
      onCancel={() => onDone(null)}
    >
      <TextInput form={form} name="title" label="Title" />
    </EditForm>
  );
}

function EditRun({ run, onDone }: { run: CourseRun; onDone: (run: CourseRun | null) => void }) {
  const initial = {
    title: run.title,
    start: toLocalInput(run.start),
    end: toLocalInput(run.end),
    self_paced: run.self_paced,
    live: run.live,
  };
  const form = useForm(initial);
  const v = form.values;
  const save = () =>
    form.submit(async () => {
      const body: { title?: string; start?: string | null; end?: string | null; self_paced?: boolean; live?: boolean } =
        {};
      if (v.title !== initial.title) body.title = v.title;
      if (v.start !== initial.start) body.start = fromLocalInput(v.start);
      if (v.end !== initial.end) body.end = fromLocalInput(v.end);
      if (v.self_paced !== initial.self_paced) body.self_paced = v.self_paced;
      if (v.live !== initial.live) body.live = v.live;
      const changed = await call(
        client.PATCH("/v1/catalog/course-runs/{run_id}", { params: { path: { run_id: run.run_id } }, body }),
      );
      onDone(changed);
    });
  return (
    <EditForm
      title={`Edit ${run.run_id}`}
      error={form.general}
      busy={form.busy}
      onSave={() => void save()}
      onCancel={() => onDone(null)}
    >
      <TextInput form={form} name="title" label="Title" />
      <TextInput form={form} name="start" label="Start" type="datetime-local" hint="Empty removes it" />
      <TextInput form={form} name="end" label="End" type="datetime-local" hint="Empty removes it" />
      <Checkbox form={form} name="self_paced" label="Self paced" />
      <Checkbox form={form} name="live" label="Live" />
    </EditForm>
  );
}

function EditProgram({ program, onDone }: { program: Program; onDone: (program: Program | null) => void }) {
  const initial = { title: program.title, course_ids: program.course_ids.join(", ") };
  const form = useForm(initial);
  const save = () =>
    form.submit(async () => {
      const body: { title?: string; course_ids?: string[] } = {};
      if (form.values.title !== initial.title) body.title = form.values.title;
      if (form.values.course_ids !== initial.course_ids) body.course_ids = listOf(form.values.course_ids);
      const changed = await call(
        client.PATCH("/v1/catalog/programs/{program_id}", {
          params: { path: { program_id: program.program_id } },
          body,
        }),
      );
      onDone(changed);
    });
  return (
    <EditForm
      title={`Edit ${program.program_id}`}
      error={form.general}
      busy={form.busy}
      onSave={() => void save()}
      onCancel={() => onDone(null)}
    >
      <TextInput form={form} name="title" label="Title" />
      <TextInput form={form} name="course_ids" label="Course ids" hint="Comma- or space-separated" />
    </EditForm>
  );
}

function EditButton({ onClick }: { onClick: () => void }) {
  return (
    <button type="button" class="secondary small" onClick={onClick}>
      Edit
    </button>
  );
}

function Courses() {
  const list = usePaged(
    (cursor) => call(client.GET("/v1/catalog/courses", { params: { query: { limit: 50, cursor } } })),
    [],
    (course) => course.course_id,
  );
  const form = useForm({ course_id: "", title: "" });
  const [done, setDone] = useState<string | null>(null);
  const [editing, setEditing] = useState<Course | null>(null);
  const register = () =>
    form.submit(async () => {
      setDone(null);
      const course = await call(
        client.POST("/v1/catalog/courses", { body: { course_id: form.values.course_id.trim(), title: form.values.title } }),
      );
      list.prepend(course);
      setDone(`Registered ${course.course_id}.`);
      form.setValues({ course_id: "", title: "" });
    });
  return (
    <>
      <ErrorAlert error={list.error} />
      <table aria-label="Courses">
        <thead>
          <tr>
            <th scope="col">Course id</th>
            <th scope="col">Title</th>
            <th scope="col">Source run</th>
            <th scope="col">First run</th>
            <th scope="col">Registered</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.items.map((course) => (
            <tr key={course.course_id}>
              <td>
                <Link href={`${BASE}/catalog/runs?course_id=${encodeURIComponent(course.course_id)}`}>
                  <code>{course.course_id}</code>
                </Link>
              </td>
              <td>{course.title || "—"}</td>
              <td>{course.source_run_id ? <code>{course.source_run_id}</code> : "—"}</td>
              <td>{course.first_run_id ? <code>{course.first_run_id}</code> : "—"}</td>
              <td>{when(course.created_at)}</td>
              <td>
                <EditButton onClick={() => setEditing(course)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!list.loading && list.items.length === 0 ? <p class="empty">No courses yet.</p> : null}
      <LoadMore list={list} />
      {done ? <Notice>{done}</Notice> : null}
      {editing ? (
        <EditCourse
          key={editing.course_id}
          course={editing}
          onDone={(changed) => {
            setEditing(null);
            if (changed) {
              list.setItems((current) => current.map((c) => (c.course_id === changed.course_id ? changed : c)));
              setDone(`Saved ${changed.course_id}.`);
            }
          }}
        />
      ) : (
      <form
        class="form"
        aria-labelledby="register-course"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void register();
        }}
      >
        <h2 id="register-course">Register a course</h2>
        <ErrorAlert error={form.general} />
        <TextInput form={form} name="course_id" label="Course id" hint="e.g. course-v1:UAI_SOURCE+14.100x" />
        <TextInput form={form} name="title" label="Title" />
        <div class="actions">
          <button type="submit" disabled={form.busy}>
            Register course
          </button>
        </div>
      </form>
      )}
    </>
  );
}

function Runs() {
  const { query } = useLocation();
  const courseId = query.get("course_id") ?? "";
  const list = usePaged(
    (cursor) =>
      call(
        client.GET("/v1/catalog/course-runs", {
          params: { query: { limit: 50, cursor, ...(courseId ? { course_id: courseId } : {}) } },
        }),
      ),
    [courseId],
    (run) => run.run_id,
  );
  const empty = { run_id: "", course_id: "", title: "", start: "", end: "", self_paced: false, live: false };
  const form = useForm(empty);
  const [done, setDone] = useState<string | null>(null);
  const [editing, setEditing] = useState<CourseRun | null>(null);
  const v = form.values;
  const register = () =>
    form.submit(async () => {
      setDone(null);
      const run = await call(
        client.POST("/v1/catalog/course-runs", {
          body: {
            run_id: v.run_id.trim(),
            ...(v.course_id.trim() ? { course_id: v.course_id.trim() } : {}),
            title: v.title,
            start: fromLocalInput(v.start),
            end: fromLocalInput(v.end),
            self_paced: v.self_paced,
            live: v.live,
          },
        }),
      );
      list.prepend(run);
      setDone(`Registered ${run.run_id}.`);
      form.setValues(empty);
    });
  return (
    <>
      {courseId ? (
        <p class="meta">
          Runs of <code>{courseId}</code> · <Link href={`${BASE}/catalog/runs`}>all runs</Link>
        </p>
      ) : null}
      <ErrorAlert error={list.error} />
      <table aria-label="Course runs">
        <thead>
          <tr>
            <th scope="col">Run id</th>
            <th scope="col">Course</th>
            <th scope="col">Title</th>
            <th scope="col">Contract</th>
            <th scope="col">Clone status</th>
            <th scope="col">Start</th>
            <th scope="col">End</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.items.map((run) => (
            <tr key={run.run_id} class={run.run_tag === "SOURCE" ? "source" : undefined}>
              <td>
                <code>{run.run_id}</code>
                {run.run_tag === "SOURCE" ? <span class="badge ok">source run</span> : null}
              </td>
              <td>
                <code>{run.course_id}</code>
              </td>
              <td>{run.title || "—"}</td>
              <td>{run.contract_id ? <Link href={`${BASE}/contracts/${run.contract_id}`}>#{run.contract_id}</Link> : "—"}</td>
              <td>{run.clone_status}</td>
              <td>{when(run.start)}</td>
              <td>{when(run.end)}</td>
              <td>
                <EditButton onClick={() => setEditing(run)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!list.loading && list.items.length === 0 ? <p class="empty">No runs yet.</p> : null}
      <LoadMore list={list} />
      {done ? <Notice>{done}</Notice> : null}
      {editing ? (
        <EditRun
          key={editing.run_id}
          run={editing}
          onDone={(changed) => {
            setEditing(null);
            if (changed) {
              list.setItems((current) => current.map((r) => (r.run_id === changed.run_id ? changed : r)));
              setDone(`Saved ${changed.run_id}.`);
            }
          }}
        />
      ) : (
      <form
        class="form"
        aria-labelledby="register-run"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void register();
        }}
      >
        <h2 id="register-run">Register a run</h2>
        <ErrorAlert error={form.general} />
        <TextInput form={form} name="run_id" label="Run id" hint="A key ending +SOURCE makes the course's source run" />
        <TextInput form={form} name="course_id" label="Course id" hint="Empty: the course the run id names" />
        <TextInput form={form} name="title" label="Title" />
        <TextInput form={form} name="start" label="Start" type="datetime-local" />
        <TextInput form={form} name="end" label="End" type="datetime-local" />
        <Checkbox form={form} name="self_paced" label="Self paced" />
        <Checkbox form={form} name="live" label="Live" />
        <div class="actions">
          <button type="submit" disabled={form.busy}>
            Register run
          </button>
        </div>
      </form>
      )}
    </>
  );
}

function Programs() {
  const list = usePaged(
    (cursor) => call(client.GET("/v1/catalog/programs", { params: { query: { limit: 50, cursor } } })),
    [],
    (program) => program.program_id,
  );
  const form = useForm({ program_id: "", title: "", course_ids: "" });
  const [done, setDone] = useState<string | null>(null);
  const [editing, setEditing] = useState<Program | null>(null);
  const register = () =>
    form.submit(async () => {
      setDone(null);
      const program = await call(
        client.POST("/v1/catalog/programs", {
          body: {
            program_id: form.values.program_id.trim(),
            title: form.values.title,
            course_ids: listOf(form.values.course_ids),
          },
        }),
      );
      list.prepend(program);
      setDone(`Registered ${program.program_id}.`);
      form.setValues({ program_id: "", title: "", course_ids: "" });
    });
  return (
    <>
      <ErrorAlert error={list.error} />
      <table aria-label="Programs">
        <thead>
          <tr>
            <th scope="col">Program id</th>
            <th scope="col">Title</th>
            <th scope="col">Course ids</th>
            <th scope="col">Registered</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.items.map((program) => (
            <tr key={program.program_id}>
              <td>
                <code>{program.program_id}</code>
              </td>
              <td>{program.title || "—"}</td>
              <td>
                {program.course_ids.map((courseId) => (
                  <div key={courseId}>
                    <code>{courseId}</code>
                  </div>
                ))}
              </td>
              <td>{when(program.created_at)}</td>
              <td>
                <EditButton onClick={() => setEditing(program)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!list.loading && list.items.length === 0 ? <p class="empty">No programs yet.</p> : null}
      <LoadMore list={list} />
      {done ? <Notice>{done}</Notice> : null}
      {editing ? (
        <EditProgram
          key={editing.program_id}
          program={editing}
          onDone={(changed) => {
            setEditing(null);
            if (changed) {
              list.setItems((current) => current.map((p) => (p.program_id === changed.program_id ? changed : p)));
              setDone(`Saved ${changed.program_id}.`);
            }
          }}
        />
      ) : (
      <form
        class="form"
        aria-labelledby="register-program"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void register();
        }}
      >
        <h2 id="register-program">Register a program</h2>
        <ErrorAlert error={form.general} />
        <TextInput form={form} name="program_id" label="Program id" hint="e.g. program-v1:UAI+AI" />
        <TextInput form={form} name="title" label="Title" />
        <TextInput form={form} name="course_ids" label="Course ids" hint="Comma- or space-separated" />
        <div class="actions">
          <button type="submit" disabled={form.busy}>
            Register program
          </button>
        </div>
      </form>
      )}
    </>
  );
}

export function CatalogPage({ tab }: { tab: string }) {
  const current = TABS.find(([key]) => key === tab)?.[0] ?? "courses";
  const label = TABS.find(([key]) => key === current)?.[1] ?? "Courses";
  useTitle(`Catalog: ${label}`);
  return (
    <>
      <h1>Catalog</h1>
      <nav aria-label="Catalog" class="tabs">
        <ul>
          {TABS.map(([key, name]) => (
            <li key={key}>
              <Link href={`${BASE}/catalog/${key}`} aria-current={key === current ? "page" : undefined}>
                {name}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {current === "courses" ? <Courses /> : current === "runs" ? <Runs /> : <Programs />}
    </>
  );
}
