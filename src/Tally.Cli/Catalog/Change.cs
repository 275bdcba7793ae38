using System.Text.Json.Nodes;
using Tally.Client;

namespace Tally.Cli.Catalog;

/// <summary>What push does to one catalog entry.</summary>
internal enum ChangeAction
{
    /// <summary>Not on the server: created.</summary>
    Create,

    /// <summary>Differs in fields that never make a new plan version: changed in place.</summary>
    Update,

    /// <summary>
    /// A plan whose price or items differ: the server changes the version in place while no customer holds it, and
    /// otherwise makes a new version that new attachments get (customers keep the one they hold).
    /// </summary>
    UpdateBilling,

    /// <summary>The same once normalised.</summary>
    Unchanged,

    /// <summary>On the server (and not archived) but not in the file: left alone.</summary>
    OnlyOnServer,
}

/// <summary>One entry of a push plan and, when it is to be applied, the call that applies it.</summary>
internal sealed record Change(string Kind, string Id, ChangeAction Action, IReadOnlyList<string> Details)
{
    /// <summary>Applies the change and returns a line saying what happened and the server's answer.</summary>
    public Func<TallyClient, CancellationToken, Task<(string Outcome, JsonNode Answer)>>? Apply { get; init; }

    public bool Applies => Action is ChangeAction.Create or ChangeAction.Update or ChangeAction.UpdateBilling;

    public string ActionName => Action switch
    {
        ChangeAction.Create => "create",
        ChangeAction.Update => "update",
        ChangeAction.UpdateBilling => "update_billing",
        ChangeAction.Unchanged => "unchanged",
        _ => "only_on_server",
    };
}
