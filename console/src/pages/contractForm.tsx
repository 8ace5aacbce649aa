import { useEffect, useState } from "preact/hooks";
import { call, client, type Contract, type MembershipType, type Schemas } from "../api";
import { BASE } from "../config";
import { Link, navigate, useLocation } from "../router";
import {
  Checkbox,
  ErrorAlert,
  fromLocalInput,
  Select,
  TextArea,
  TextInput,
  toLocalInput,
  useForm,
  useTitle,
} from "../ui";
import { MEMBERSHIP_TYPES, useAllOrganizations } from "./contracts";

type ContractValues = {
  organization_id: string;
  name: string;
  membership_type: string;
  description: string;
  start: string;
  end: string;
  active: boolean;
  max_learners: string;
  price: string;
  welcome_message: string;
};

function valuesOf(contract: Contract | null, organizationId: string): ContractValues {
  return {
    organization_id: contract ? String(contract.organization_id) : organizationId,
    name: contract?.name ?? "",
    membership_type: contract?.membership_type ?? "code",
    description: contract?.description ?? "",
    start: toLocalInput(contract?.start),
    end: toLocalInput(contract?.end),
    active: contract?.active ?? true,
    max_learners: contract?.max_learners != null ? String(contract.max_learners) : "",
    price: contract?.price ?? "",
    welcome_message: contract?.welcome_message ?? "",
  };
}

/** A number the API can judge: what was typed, as a number when it is one (the API names bad values). */
function numberOf(text: string): number {
  const value = Number(text.trim());
  return Number.isFinite(value) ? value : (text as unknown as number);
}

function ContractFields({ form, editing }: { form: ReturnType<typeof useForm<ContractValues>>; editing: boolean }) {
  const { organizations, error } = useAllOrganizations();
  const chosen = form.values.organization_id;
  const options = [
    ...(editing ? [] : [{ value: "", label: "Choose an organization" }]),
    ...organizations.map((org) => ({ value: String(org.id), label: org.name })),
    ...(chosen && !organizations.some((org) => String(org.id) === chosen) ? [{ value: chosen, label: `#${chosen}` }] : []),
  ];
  return (
    <>
      <ErrorAlert error={error} />
      {editing ? null : <Select form={form} name="organization_id" label="Organization" options={options} />}
      <TextInput form={form} name="name" label="Name" />
      <Select
        form={form}
        name="membership_type"
        label="Membership type"
        options={MEMBERSHIP_TYPES.map((type) => ({ value: type, label: type }))}
      />
      <TextInput form={form} name="max_learners" label="Max learners" type="number" hint="Empty: no cap" />
      <TextInput form={form} name="price" label="Price" hint="Empty or 0: free" />
      <TextInput form={form} name="start" label="Start" type="datetime-local" />
      <TextInput form={form} name="end" label="End" type="datetime-local" />
      <Checkbox form={form} name="active" label="Active" />
      <TextArea form={form} name="description" label="Description" />
      <TextArea form={form} name="welcome_message" label="Welcome message" />
    </>
  );
}

export function ContractNewPage() {
  useTitle("New contract");
  const { query } = useLocation();
  const form = useForm<ContractValues>(valuesOf(null, query.get("organization_id") ?? ""));
  const v = form.values;
  const create = () =>
    form.submit(async () => {
      const body: Schemas["ContractCreate"] = {
        name: v.name,
        membership_type: v.membership_type as MembershipType,
        active: v.active,
      };
      if (v.organization_id) body.organization_id = Number(v.organization_id);
      if (v.description) body.description = v.description;
      if (v.welcome_message) body.welcome_message = v.welcome_message;
      if (v.max_learners) body.max_learners = numberOf(v.max_learners);
      if (v.price) body.price = v.price;
      if (v.start) body.start = fromLocalInput(v.start);
      if (v.end) body.end = fromLocalInput(v.end);
      const created = await call(client.POST("/v1/contracts", { body }));
      navigate(`${BASE}/contracts/${created.id}`);
    });
  return (
    <>
      <h1>New contract</h1>
      <form
        class="form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void create();
        }}
      >
        <ErrorAlert error={form.general} />
        <ContractFields form={form} editing={false} />
        <div class="actions">
          <button type="submit" disabled={form.busy}>
            Create contract
          </button>
        </div>
      </form>
    </>
  );
}

function EditForm({ contract }: { contract: Contract }) {
  const initial = valuesOf(contract, "");
  const form = useForm<ContractValues>(initial);
  const v = form.values;
  const save = () =>
    form.submit(async () => {
      const body: Schemas["ContractPatch"] = {};
      if (v.name !== initial.name) body.name = v.name;
      if (v.membership_type !== initial.membership_type) body.membership_type = v.membership_type as MembershipType;
      if (v.description !== initial.description) body.description = v.description;
      if (v.welcome_message !== initial.welcome_message) body.welcome_message = v.welcome_message;
      if (v.active !== initial.active) body.active = v.active;
      if (v.max_learners !== initial.max_learners) body.max_learners = v.max_learners ? numberOf(v.max_learners) : null;
      if (v.price !== initial.price) body.price = v.price || null;
      if (v.start !== initial.start) body.start = fromLocalInput(v.start);
      if (v.end !== initial.end) body.end = fromLocalInput(v.end);
      await call(
        // Only the version this form was filled from: a change made meanwhile is a 409, not overwritten.
        client.PATCH("/v1/contracts/{contract_id}", {
          params: { path: { contract_id: contract.id }, header: { "if-match": `"${contract.version}"` } },
          body,
        }),
      );
      navigate(`${BASE}/contracts/${contract.id}`);
    });
  return (
    <form
      class="form"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      <ErrorAlert error={form.general} />
      <ContractFields form={form} editing />
      <div class="actions">
        <button type="submit" disabled={form.busy}>
          Save
        </button>
        <Link class="button secondary" href={`${BASE}/contracts/${contract.id}`}>
          Cancel
        </Link>
      </div>
    </form>
  );
}

export function ContractEditPage({ contractId }: { contractId: string }) {
  const [contract, setContract] = useState<Contract | null>(null);
  const [error, setError] = useState<unknown>(null);
  useTitle(contract ? `Edit ${contract.name}` : "Edit contract");
  useEffect(() => {
    call(client.GET("/v1/contracts/{contract_id}", { params: { path: { contract_id: Number(contractId) } } }))
      .then(setContract)
      .catch(setError);
  }, [contractId]);
  return (
    <>
      <h1>{contract ? `Edit ${contract.name}` : `Edit contract ${contractId}`}</h1>
      <ErrorAlert error={error} />
      {contract ? <EditForm contract={contract} /> : error ? null : <p class="loading">Loading…</p>}
    </>
  );
}
