/**
 * The contract page: the shell (h1, actions) first, then every section fetched in parallel.
 * When all of them but the slower health audit have their data it marks `contract-page-ready` (once
 * per navigation).
 */
import { useEffect, useRef, useState } from "preact/hooks";
import {
  authorisedFetch,
  call,
  client,
  type Contract,
  type Courseware,
  type Health,
  type Stats,
  toApiError,
} from "../api";
import { BASE } from "../config";
import { navigate } from "../router";
import {
  Checkbox,
  ErrorAlert,
  LoadMore,
  Notice,
  Progress,
  TextInput,
  useForm,
  usePaged,
  useTitle,
  when,
} from "../ui";

const POLL_MS = 700;
const WAIT_LIMIT_MS = 180_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function ContractPage({ contractId }: { contractId: string }) {
  const id = Number(contractId);
  const path = { contract_id: id };
  const [contract, setContract] = useState<Contract | null>(null);
  const [organizationName, setOrganizationName] = useState<string | null>(null);
  const [stats, setStats] = useState<Stats | null>(null);
  const [health, setHealth] = useState<Health | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [sectionErrors, setSectionErrors] = useState<{ stats?: unknown; health?: unknown }>({});
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [watch, setWatch] = useState<{ label: string; value: number; max: number } | null>(null);
  const watching = useRef(false);
  const marked = useRef<string | null>(null);
  useTitle(contract?.name ?? `Contract ${contractId}`);

  const loadContract = () =>
    call(client.GET("/v1/contracts/{contract_id}", { params: { path } }))
      .then((found) => {
        setContract(found);
        // The organization's name for the header; the page does not wait for it.
        call(client.GET("/v1/organizations/{org_id}", { params: { path: { org_id: found.organization_id } } }))
          .then((org) => setOrganizationName(org.name))
          .catch(() => setOrganizationName(null));
      })
      .catch(setError);
  const loadStats = () =>
    call(client.GET("/v1/contracts/{contract_id}/stats", { params: { path } }))
      .then((found) => {
        setStats(found);
        return found;
      })
      .catch((caught: unknown) => {
        setSectionErrors((current) => ({ ...current, stats: caught }));
        return null;
      });
  const loadHealth = () =>
    call(client.GET("/v1/contracts/{contract_id}/codes/health", { params: { path } }))
      .then((found) => {
        setHealth(found);
        return found;
      })
      .catch((caught: unknown) => {
        setSectionErrors((current) => ({ ...current, health: caught }));
        return null;
      });

  const codes = usePaged(
    (cursor) => call(client.GET("/v1/contracts/{contract_id}/codes", { params: { path, query: { limit: 50, cursor } } })),
    [id],
  );
  const learners = usePaged(
    (cursor) =>
      call(client.GET("/v1/contracts/{contract_id}/learners", { params: { path, query: { limit: 50, cursor } } })),
    [id],
    (membership) => membership.user_id,
  );
  const defaults = usePaged(
    (cursor) =>
      call(
        client.GET("/v1/contracts/{contract_id}/default-enrollments", { params: { path, query: { limit: 50, cursor } } }),
      ),
    [id],
  );
  const [courseware, setCourseware] = useState<Courseware | null>(null);
  const [coursewareError, setCoursewareError] = useState<unknown>(null);
  const [coursewareLoading, setCoursewareLoading] = useState(true);
  const loadCourseware = async (cursor?: string) => {
    setCoursewareLoading(true);
    setCoursewareError(null);
    try {
      const page = await call(
        client.GET("/v1/contracts/{contract_id}/courseware", { params: { path, query: { limit: 50, cursor } } }),
      );
      setCourseware((current) =>
        cursor && current ? { ...page, links: [...current.links, ...page.links], runs: [...current.runs, ...page.runs] } : page,
      );
    } catch (caught) {
      setCoursewareError(caught);
    } finally {
      setCoursewareLoading(false);
    }
  };

  useEffect(() => {
    performance.mark("contract-page-start");
    setContract(null);
    setStats(null);
    setHealth(null);
    setError(null);
    setSectionErrors({});
    void loadContract();
    void loadStats();
    void loadHealth();
    void loadCourseware();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);

  // Health is an audit that reads every code of the contract (hundreds of milliseconds for a large
  // one): it loads alongside but the page is ready, and usable, without waiting for it.
  const loaded =
    (contract !== null || error !== null) &&
    (stats !== null || sectionErrors.stats !== undefined) &&
    !coursewareLoading &&
    !codes.loading &&
    !learners.loading &&
    !defaults.loading;
  useEffect(() => {
    if (loaded && marked.current !== contractId) {
      marked.current = contractId;
      performance.mark("contract-page-ready");
      // From this page's first render to its data on screen (within an already loaded console).
      try {
        performance.measure("contract-page", "contract-page-start", "contract-page-ready");
      } catch {
        // A timeline without the start mark (cleared by a tool) only loses the measure.
      }
    }
  }, [loaded, contractId]);

  /** Poll health until the codes are in place (the reconciler works through a queue), showing progress. */
  const waitForCodes = async (label: string): Promise<boolean> => {
    if (watching.current) return false;
    watching.current = true;
    try {
      const deadline = Date.now() + WAIT_LIMIT_MS;
      // Progress: codes made since the wait began, out of the most that were ever missing.
      let most = 0;
      for (;;) {
        const found = await call(client.GET("/v1/contracts/{contract_id}/codes/health", { params: { path } }));
        setHealth(found);
        most = Math.max(most, found.missing, 1);
        setWatch({ label, value: found.healthy ? most : most - found.missing, max: most });
        if (found.healthy) return true;
        if (Date.now() > deadline) throw new Error("the codes are still not in place after 3 minutes; try Reconcile now");
        await sleep(POLL_MS);
      }
    } finally {
      watching.current = false;
      setWatch(null);
    }
  };

  const refreshCodes = async () => {
    await Promise.all([loadStats(), codes.reload()]);
  };

  /** After a change the reconciler acts on: follow it until the codes are in place. */
  const followReconcile = async () => {
    try {
      await sleep(POLL_MS);
      await waitForCodes("Reconciling codes");
    } catch (caught) {
      setActionError(caught);
    } finally {
      await refreshCodes();
    }
  };

  const act = async (action: () => Promise<string | null>) => {
    setNotice(null);
    setActionError(null);
    try {
      const message = await action();
      if (message) setNotice(message);
    } catch (caught) {
      setActionError(caught);
    }
  };

  const reconcile = () =>
    act(async () => {
      const queued = await call(client.POST("/v1/contracts/{contract_id}/reconcile", { params: { path } }));
      void followReconcile();
      return `Reconcile ${queued.status ?? "queued"} (${queued.reason}).`;
    });

  const deactivate = () => {
    // Deactivating stops every unused code at once: the operator confirms it first.
    const sure = window.confirm(
      "Deactivate this contract? It closes to new learners and its unused codes stop working; " +
        "learners keep their enrollments. Editing it back to active reopens it.",
    );
    if (!sure) return;
    return act(async () => {
      const updated = await call(client.DELETE("/v1/contracts/{contract_id}", { params: { path } }));
      setContract(updated);
      void followReconcile();
      return "Contract deactivated.";
    });
  };

  const [exporting, setExporting] = useState<{ label: string; value: number; max: number } | null>(null);
  const exportCsv = () =>
    act(async () => {
      setExporting({ label: "Waiting for codes", value: 0, max: 1 });
      try {
        const ready = await call(client.GET("/v1/contracts/{contract_id}/codes/health", { params: { path } }));
        setHealth(ready);
        if (!ready.healthy) await waitForCodes("Waiting for codes");
        const counts = (await loadStats())?.codes;
        const total = counts ? counts.available + counts.redeemed + counts.deactivated + (counts.retired ?? 0) : 0;
        const parts: string[] = [];
        let rows = 0;
        let cursor: string | null = null;
        setExporting({ label: "Exporting codes", value: 0, max: Math.max(total, 1) });
        do {
          const query = new URLSearchParams({ limit: "5000" });
          if (cursor) query.set("cursor", cursor);
          const response = await authorisedFetch(`/v1/contracts/${id}/codes.csv?${query.toString()}`);
          if (!response.ok) {
            throw toApiError(response.status, await response.json().catch(() => null));
          }
          const text = await response.text();
          const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
          const body = parts.length === 0 ? lines : lines.slice(1);
          rows += parts.length === 0 ? Math.max(lines.length - 1, 0) : body.length;
          parts.push(body.join("\r\n"));
          cursor = response.headers.get("X-Next-Cursor");
          setExporting({ label: "Exporting codes", value: rows, max: Math.max(total, rows, 1) });
        } while (cursor);
        const blob = new Blob([`${parts.filter(Boolean).join("\r\n")}\r\n`], { type: "text/csv" });
        const url = URL.createObjectURL(blob);
        const anchor = document.createElement("a");
        anchor.href = url;
        anchor.download = `codes-${id}.csv`;
        document.body.appendChild(anchor);
        anchor.click();
        anchor.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
        return `Exported ${rows} codes to codes-${id}.csv.`;
      } finally {
        setExporting(null);
      }
    });

  const title = contract?.name ?? `Contract ${contractId}`;
  const cap = stats?.max_learners ?? contract?.max_learners ?? null;
  return (
    <>
      <div class="page-head">
        <h1>{title}</h1>
        <div class="actions">
          <button type="button" class="secondary" onClick={() => navigate(`${BASE}/contracts/${contractId}/edit`)}>
            Edit
          </button>
          <button
            type="button"
            class="danger"
            disabled={!contract || !contract.active}
            onClick={() => void deactivate()}
          >
            Deactivate
          </button>
        </div>
      </div>
      <ErrorAlert error={error} />
      {contract ? (
        <p class="meta">
          <span class={contract.is_open ? "badge ok" : "badge"}>
            {contract.is_open ? "open" : contract.active ? "closed" : "deactivated"}
          </span>{" "}
          {contract.membership_type} ·{" "}
          <a
            href={`${BASE}/organizations/${contract.organization_id}`}
            onClick={(event) => {
              event.preventDefault();
              navigate(`${BASE}/organizations/${contract.organization_id}`);
            }}
          >
            {organizationName ?? `#${contract.organization_id}`}
          </a>{" "}
          · {when(contract.start)} → {when(contract.end)}
          {contract.price ? ` · price ${contract.price}` : ""}
        </p>
      ) : null}
      <ErrorAlert error={actionError} />
      {notice ? <Notice>{notice}</Notice> : null}
      {watch ? <Progress label={watch.label} value={watch.value} max={watch.max} /> : null}

      <div class="grid">
        <section aria-labelledby="h-seats" class="card">
          <h2 id="h-seats">Seats</h2>
          <ErrorAlert error={sectionErrors.stats} />
          {stats ? (
            <p class="big" aria-label="Seats taken / cap">
              {stats.seats_taken} / {cap ?? "no cap"}
            </p>
          ) : (
            <p class="loading">Loading…</p>
          )}
        </section>
        <section aria-labelledby="h-health" class="card">
          <h2 id="h-health">Health</h2>
          <ErrorAlert error={sectionErrors.health} />
          {health ? (
            <>
              <p>
                <span class={health.healthy ? "badge ok" : "badge warn"}>
                  {health.healthy ? "healthy" : health.missing > 0 ? `${health.missing} codes missing` : "out of step"}
                </span>
              </p>
              {health.products.some((product) => product.problems.length > 0) ? (
                <ul class="problems">
                  {health.products.flatMap((product) =>
                    product.problems.map((problem) => (
                      <li key={`${product.product_id}-${problem}`}>
                        Product {product.product_id}: {problem}
                      </li>
                    )),
                  )}
                </ul>
              ) : null}
            </>
          ) : sectionErrors.health ? null : (
            <p class="loading">Checking the codes…</p>
          )}
          <button type="button" class="secondary" disabled={watch !== null} onClick={() => void reconcile()}>
            Reconcile now
          </button>
        </section>
      </div>

      <section aria-labelledby="h-codes">
        <div class="page-head">
          <h2 id="h-codes">Codes</h2>
          <button type="button" disabled={exporting !== null} onClick={() => void exportCsv()}>
            Export CSV
          </button>
        </div>
        {exporting ? <Progress label={exporting.label} value={exporting.value} max={exporting.max} /> : null}
        {stats ? (
          <dl class="counts">
            <div>
              <dt>Available</dt>
              <dd>{stats.codes.available}</dd>
            </div>
            <div>
              <dt>Redeemed</dt>
              <dd>{stats.codes.redeemed}</dd>
            </div>
            <div>
              <dt>Deactivated</dt>
              <dd>{stats.codes.deactivated}</dd>
            </div>
            <div>
              <dt>Retired</dt>
              <dd>{stats.codes.retired ?? 0}</dd>
            </div>
          </dl>
        ) : null}
        <ErrorAlert error={codes.error} />
        <table aria-label="Codes">
          <thead>
            <tr>
              <th scope="col">Code</th>
              <th scope="col">Product</th>
              <th scope="col">Kind</th>
              <th scope="col">Status</th>
              <th scope="col">Redemptions</th>
              <th scope="col">Redeemed by</th>
              <th scope="col">Valid until</th>
            </tr>
          </thead>
          <tbody>
            {codes.items.map((code) => (
              <tr key={code.code}>
                <td>
                  <code>{code.code}</code>
                </td>
                <td>{code.product_id}</td>
                <td>{code.kind.replace("_", "-")}</td>
                <td>{code.claimed_by && code.status === "available" ? `claimed by ${code.claimed_by}` : code.status}</td>
                <td>{code.redemptions}</td>
                <td>{code.redeemed_by ?? "—"}</td>
                <td>{when(code.valid_until)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {!codes.loading && codes.items.length === 0 ? <p class="empty">No codes yet.</p> : null}
        <LoadMore list={codes} />
      </section>

      <CoursewareSection
        contractId={id}
        courseware={courseware}
        loading={coursewareLoading}
        error={coursewareError}
        onLoadMore={(cursor) => void loadCourseware(cursor)}
        onChanged={() => {
          void loadCourseware();
          void loadStats();
          void followReconcile();
        }}
      />
      <LearnersSection contractId={id} list={learners} onChanged={() => void loadStats()} />
      <DefaultEnrollmentsSection contractId={id} list={defaults} />
    </>
  );
}

function CoursewareSection({
  contractId,
  courseware,
  loading,
  error,
  onLoadMore,
  onChanged,
}: {
  contractId: number;
  courseware: Courseware | null;
  loading: boolean;
  error: unknown;
  onLoadMore: (cursor: string) => void;
  onChanged: () => void;
}) {
  const form = useForm({ courseware_id: "", create_runs: true });
  const [result, setResult] = useState<string | null>(null);
  const [detachError, setDetachError] = useState<unknown>(null);
  const attach = () =>
    form.submit(async () => {
      setResult(null);
      const attached = await call(
        client.POST("/v1/contracts/{contract_id}/courseware", {
          params: { path: { contract_id: contractId } },
          body: { courseware_id: form.values.courseware_id.trim(), create_runs: form.values.create_runs },
        }),
      );
      const runs = attached.created_runs.length + attached.assigned_runs.length;
      setResult(
        [`Attached ${attached.kind.replace("_", " ")} ${attached.courseware_id} (${runs} run${runs === 1 ? "" : "s"}).`, ...attached.warnings].join(" "),
      );
      form.set("courseware_id", "");
      onChanged();
    });
  const detach = async (coursewareId: string) => {
    if (!window.confirm(`Detach ${coursewareId}? Its runs leave the contract and their unused codes stop working.`)) {
      return;
    }
    setDetachError(null);
    setResult(null);
    try {
      const detached = await call(
        client.DELETE("/v1/contracts/{contract_id}/courseware/{courseware_id}", {
          params: { path: { contract_id: contractId, courseware_id: coursewareId } },
        }),
      );
      setResult(`Detached ${detached.courseware_id} (${detached.unlinked_runs.length} runs unlinked).`);
      onChanged();
    } catch (caught) {
      setDetachError(caught);
    }
  };
  return (
    <section aria-labelledby="h-courseware">
      <h2 id="h-courseware">Courseware</h2>
      <form
        class="inline-form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void attach();
        }}
      >
        <TextInput form={form} name="courseware_id" label="Courseware id" hint="A course, run or program id" />
        <Checkbox form={form} name="create_runs" label="Create runs" />
        <button type="submit" disabled={form.busy}>
          Attach
        </button>
      </form>
      <ErrorAlert error={form.general ?? detachError} />
      {result ? <Notice>{result}</Notice> : null}
      <ErrorAlert error={error} />
      <table aria-label="Attached courseware">
        <thead>
          <tr>
            <th scope="col">Courseware id</th>
            <th scope="col">Kind</th>
            <th scope="col">Runs created</th>
            <th scope="col">Attached</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(courseware?.links ?? []).map((link) => (
            <tr key={link.courseware_id}>
              <td>
                <code>{link.courseware_id}</code>
              </td>
              <td>{link.kind.replace("_", " ")}</td>
              <td>{link.runs_created ? "yes" : "no"}</td>
              <td>{when(link.attached_at)}</td>
              <td>
                <button type="button" class="secondary small" onClick={() => void detach(link.courseware_id)}>
                  Detach
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!loading && courseware && courseware.links.length === 0 ? <p class="empty">No courseware attached.</p> : null}
      <h3>Contract runs</h3>
      <table aria-label="Contract runs">
        <thead>
          <tr>
            <th scope="col">Run id</th>
            <th scope="col">Title</th>
            <th scope="col">Attached via</th>
            <th scope="col">Product</th>
            <th scope="col">Clone status</th>
            <th scope="col">Start</th>
            <th scope="col">End</th>
          </tr>
        </thead>
        <tbody>
          {(courseware?.runs ?? []).map((run) => (
            <tr key={run.run_id}>
              <td>
                <code>{run.run_id}</code>
              </td>
              <td>{run.title || "—"}</td>
              <td>{run.attached_via ?? "—"}</td>
              <td>{run.product ? `#${run.product.product_id} (${run.product.price})` : "—"}</td>
              <td>
                {run.clone_status}
                {run.clone_error ? `: ${run.clone_error}` : ""}
              </td>
              <td>{when(run.start)}</td>
              <td>{when(run.end)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {courseware?.next_cursor ? (
        <button
          type="button"
          class="secondary"
          disabled={loading}
          onClick={() => courseware.next_cursor && onLoadMore(courseware.next_cursor)}
        >
          Load more
        </button>
      ) : null}
    </section>
  );
}

type Paged<T> = ReturnType<typeof usePaged<T>>;

function LearnersSection({
  contractId,
  list,
  onChanged,
}: {
  contractId: number;
  list: Paged<import("../api").Membership>;
  onChanged: () => void;
}) {
  const form = useForm({ user_id: "", email: "" });
  const [rowError, setRowError] = useState<unknown>(null);
  const add = () =>
    form.submit(async () => {
      const userId = form.values.user_id.trim();
      if (!userId) throw new Error("User id: enter the learner's user id");
      const email = form.values.email.trim();
      const added = await call(
        client.PUT("/v1/contracts/{contract_id}/learners/{user_id}", {
          params: { path: { contract_id: contractId, user_id: userId } },
          ...(email ? { body: { email } } : {}),
        }),
      );
      list.prepend(added);
      form.setValues({ user_id: "", email: "" });
      onChanged();
    });
  const remove = async (userId: string) => {
    setRowError(null);
    try {
      await call(
        client.DELETE("/v1/contracts/{contract_id}/learners/{user_id}", {
          params: { path: { contract_id: contractId, user_id: userId } },
        }),
      );
      list.setItems((current) => current.filter((m) => m.user_id !== userId));
      onChanged();
    } catch (caught) {
      setRowError(caught);
    }
  };
  return (
    <section aria-labelledby="h-learners">
      <h2 id="h-learners">Learners</h2>
      <form
        class="inline-form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void add();
        }}
      >
        <TextInput form={form} name="user_id" label="User id" />
        <TextInput form={form} name="email" label="Email" type="email" hint="Optional: finds their LMS account" />
        <button type="submit" disabled={form.busy}>
          Add learner
        </button>
      </form>
      <ErrorAlert error={form.general ?? rowError ?? list.error} />
      <table aria-label="Learners">
        <thead>
          <tr>
            <th scope="col">User id</th>
            <th scope="col">Source</th>
            <th scope="col">Attached</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.items.map((membership) => (
            <tr key={membership.user_id}>
              <td>{membership.user_id}</td>
              <td>{membership.source}</td>
              <td>{when(membership.attached_at)}</td>
              <td>
                <button type="button" class="secondary small" onClick={() => void remove(membership.user_id)}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!list.loading && list.items.length === 0 ? <p class="empty">No learners yet.</p> : null}
      <LoadMore list={list} />
    </section>
  );
}

function DefaultEnrollmentsSection({
  contractId,
  list,
}: {
  contractId: number;
  list: Paged<import("../api").DefaultEnrollment>;
}) {
  const form = useForm({ course_id: "", run_id: "" });
  const [rowError, setRowError] = useState<unknown>(null);
  const add = () =>
    form.submit(async () => {
      const body: { course_id?: string; run_id?: string } = {};
      if (form.values.course_id.trim()) body.course_id = form.values.course_id.trim();
      if (form.values.run_id.trim()) body.run_id = form.values.run_id.trim();
      const added = await call(
        client.POST("/v1/contracts/{contract_id}/default-enrollments", {
          params: { path: { contract_id: contractId } },
          body,
        }),
      );
      list.setItems((current) => [...current, added]);
      form.set("course_id", "");
      form.set("run_id", "");
    });
  const remove = async (intentionId: number) => {
    setRowError(null);
    try {
      await call(
        client.DELETE("/v1/contracts/{contract_id}/default-enrollments/{intention_id}", {
          params: { path: { contract_id: contractId, intention_id: intentionId } },
        }),
      );
      list.setItems((current) => current.filter((item) => item.id !== intentionId));
    } catch (caught) {
      setRowError(caught);
    }
  };
  return (
    <section aria-labelledby="h-defaults">
      <h2 id="h-defaults">Default enrollments</h2>
      <p class="hint">Every learner who joins is enrolled in these (a course or one run).</p>
      <form
        class="inline-form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void add();
        }}
      >
        <TextInput form={form} name="course_id" label="Course id" />
        <TextInput form={form} name="run_id" label="Run id" />
        <button type="submit" disabled={form.busy}>
          Add default enrollment
        </button>
      </form>
      <ErrorAlert error={form.general ?? rowError ?? list.error} />
      <table aria-label="Default enrollments">
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Content key</th>
            <th scope="col">Added</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.items.map((item) => (
            <tr key={item.id}>
              <td>{item.kind}</td>
              <td>
                <code>{item.content_key}</code>
              </td>
              <td>{when(item.created_at)}</td>
              <td>
                <button type="button" class="secondary small" onClick={() => void remove(item.id)}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!list.loading && list.items.length === 0 ? <p class="empty">No default enrollments.</p> : null}
      <LoadMore list={list} />
    </section>
  );
}
