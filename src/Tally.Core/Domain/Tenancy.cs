namespace Tally.Core.Domain;

/// <summary>The two environments a secret key can select. Rows of one never see rows of the other.</summary>
public enum Env
{
    Sandbox,
    Live,
}

/// <summary>Every stored row is scoped by organization and environment.</summary>
public readonly record struct TenantId(string OrgId, Env Env)
{
    public string EnvName => Env == Env.Live ? "live" : "sandbox";

    public override string ToString() => $"{OrgId}/{EnvName}";
}

/// <summary>Generates ids for stored objects; injected so tests can be deterministic.</summary>
public interface IIdGenerator
{
    /// <summary>A new unique id with the given prefix, e.g. <c>evt_</c>.</summary>
    string NewId(string prefix);
}
