import { useEffect, useState } from "preact/hooks";
import { call, client, type Organization, type Schemas } from "../api";
import { BASE } from "../config";
import { navigate } from "../router";
import { ErrorAlert, Notice, TextArea, TextInput, useForm, useTitle } from "../ui";
import { ContractsTable } from "./contracts";

function aliasesOf(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((alias) => alias.trim())
    .filter(Boolean);
}

export function OrganizationNewPage() {
  useTitle("New organization");
  const form = useForm({
    name: "",
    org_key: "",
    org_key_prefix: "",
    sso_organization_id: "",
    sso_aliases: "",
    description: "",
  });
  const v = form.values;
  const create = () =>
    form.submit(async () => {
      const body: Schemas["OrganizationCreate"] = { name: v.name, sso_aliases: aliasesOf(v.sso_aliases) };
      if (v.org_key) body.org_key = v.org_key;
      if (v.org_key_prefix) body.org_key_prefix = v.org_key_prefix;
      if (v.sso_organization_id) body.sso_organization_id = v.sso_organization_id;
      if (v.description) body.description = v.description;
      const created = await call(client.POST("/v1/organizations", { body }));
      navigate(`${BASE}/organizations/${created.id}`);
    });
  return (
    <>
      <h1>New organization</h1>
      <form
        class="form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void create();
        }}
      >
        <ErrorAlert error={form.general} />
        <TextInput form={form} name="name" label="Name" />
        <TextInput form={form} name="org_key" label="Org key" hint="Capitals, digits and _; made from the name when empty" />
        <TextInput form={form} name="org_key_prefix" label="Org key prefix" hint="Starts contract run keys; the API's default when empty" />
        <TextInput form={form} name="sso_organization_id" label="SSO organization id" />
        <TextInput form={form} name="sso_aliases" label="SSO aliases" hint="Comma-separated" />
        <TextArea form={form} name="description" label="Description" />
        <div class="actions">
          <button type="submit" disabled={form.busy}>
            Create organization
          </button>
        </div>
      </form>
    </>
  );
}

function EditOrganization({ org, onSaved }: { org: Organization; onSaved: (org: Organization) => void }) {
  const form = useForm({
    name: org.name,
    org_key: org.org_key,
    org_key_prefix: org.org_key_prefix,
    sso_organization_id: org.sso_organization_id ?? "",
    sso_aliases: org.sso_aliases.join(", "),
    description: org.description,
  });
  const [saved, setSaved] = useState(false);
  const v = form.values;
  const save = () =>
    form.submit(async () => {
      setSaved(false);
      const body: Schemas["OrganizationPatch"] = {};
      if (v.name !== org.name) body.name = v.name;
      if (v.org_key_prefix !== org.org_key_prefix) body.org_key_prefix = v.org_key_prefix;
      if (v.sso_organization_id !== (org.sso_organization_id ?? ""))
        body.sso_organization_id = v.sso_organization_id || null;
      if (v.sso_aliases !== org.sso_aliases.join(", ")) body.sso_aliases = aliasesOf(v.sso_aliases);
      if (v.description !== org.description) body.description = v.description;
      const updated = await call(
        client.PATCH("/v1/organizations/{org_id}", { params: { path: { org_id: org.id } }, body }),
      );
      setSaved(true);
      onSaved(updated);
    });
  return (
    <form
      class="form"
      aria-labelledby="org-edit"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      <h2 id="org-edit">Details</h2>
      <ErrorAlert error={form.general} />
      {saved ? <Notice>Saved.</Notice> : null}
      <TextInput form={form} name="name" label="Name" />
      <TextInput form={form} name="org_key" label="Org key" readOnly hint="Fixed once the organization exists" />
      <TextInput form={form} name="org_key_prefix" label="Org key prefix" />
      <TextInput form={form} name="sso_organization_id" label="SSO organization id" hint="Empty removes it" />
      <TextInput form={form} name="sso_aliases" label="SSO aliases" hint="Comma-separated" />
      <TextArea form={form} name="description" label="Description" />
      <div class="actions">
        <button type="submit" disabled={form.busy}>
          Save
        </button>
      </div>
    </form>
  );
}

export function OrganizationPage({ orgId }: { orgId: string }) {
  const [org, setOrg] = useState<Organization | null>(null);
  const [error, setError] = useState<unknown>(null);
  useTitle(org?.name ?? "Organization");
  useEffect(() => {
    setOrg(null);
    setError(null);
    call(client.GET("/v1/organizations/{org_id}", { params: { path: { org_id: Number(orgId) } } }))
      .then(setOrg)
      .catch(setError);
  }, [orgId]);
  if (error)
    return (
      <>
        <h1>Organization {orgId}</h1>
        <ErrorAlert error={error} />
      </>
    );
  if (!org)
    return (
      <>
        <h1>Organization {orgId}</h1>
        <p class="loading">Loading…</p>
      </>
    );
  return (
    <>
      <h1>{org.name}</h1>
      <p class="meta">
        Slug <code>{org.slug}</code> · org key <code>{org.org_key}</code> · id {org.id}
      </p>
      <EditOrganization key={org.version} org={org} onSaved={setOrg} />
      <section aria-labelledby="org-contracts">
        <div class="page-head">
          <h2 id="org-contracts">Contracts</h2>
          <a
            class="button"
            href={`${BASE}/contracts/new?organization_id=${org.id}`}
            onClick={(event) => {
              event.preventDefault();
              navigate(`${BASE}/contracts/new?organization_id=${org.id}`);
            }}
          >
            New contract
          </a>
        </div>
        <ContractsTable organizationId={org.id} label={`Contracts of ${org.name}`} />
      </section>
    </>
  );
}
