using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api;

/// <summary>
/// What a customer decision reads besides the state, the catalog and its command: the tenant, the customer's own
/// "now" (<see cref="Customer.NowAt"/>), the reset policy and the id generator, resolved once per unit of work so the
/// decision is a function of plain values.
/// </summary>
internal readonly record struct UnitContext(TenantId Tenant, DateTimeOffset Now, ResetPolicy Policy, IIdGenerator Ids)
{
    /// <summary>
    /// Opens the working view of a loaded customer and first applies whatever time made due (resets, rollovers,
    /// expired locks), so the request that follows a boundary sees the refilled balance in the same atomic unit.
    /// </summary>
    public Working Open(CustomerState state, Catalog catalog)
    {
        var w = new Working(state);
        Lifecycle.Settle(w, catalog, Now, Policy, Ids);
        return w;
    }

    /// <summary>A decision that answers with an error and changes nothing (so its idempotency key stays free).</summary>
    public static Decision<Reply> Fail(Reply error) => new(error);

    /// <summary>A successful decision: its changes and its exact response bytes commit together.</summary>
    public static Decision<Reply> Commit(Working w, Reply reply) => new(reply, w.ToChanges(), reply.Body);

    /// <summary>A read: commits only what settling time changed, and keeps no idempotency record.</summary>
    public static Decision<Reply> Answer(Working w, Reply reply) => new(reply, w.ToChanges());
}

/// <summary>
/// The customer unit of work every customer use case runs through: resolves the store, the clock, the policy and the
/// id generator once, runs the decision under the customer's serialisation, answers a missing customer uniformly, and
/// maps the store's answer (done, replayed, key conflict) to the wire.
/// </summary>
internal static class CustomerUnit
{
    /// <summary>
    /// Runs <paramref name="decide"/> on the customer's settled working view; a missing customer is a 404.
    /// <paramref name="command"/> is handed through so the decision can be a static function of plain values.
    /// </summary>
    public static async Task<Reply> RunAsync<TRequest, TCommand>(Call<TRequest> call, string customerId, TCommand command,
        Func<Working, Catalog, TCommand, UnitContext, Decision<Reply>> decide, IdempotencyRequest? idempotency)
    {
        var (t, clock, policy, ids) = Resolve(call);
        var result = await call.Store.MutateCustomerAsync(t, customerId, (state, catalog) =>
        {
            if (state is null)
            {
                return UnitContext.Fail(Errors.CustomerNotFound(t, customerId));
            }
            var u = new UnitContext(t, clock.NowFor(state.Customer), policy, ids);
            return decide(u.Open(state, catalog), catalog, command, u);
        }, idempotency, call.Ct).ConfigureAwait(false);
        return call.Finish(result);
    }

    /// <summary>
    /// Runs <paramref name="decide"/> on the customer's state as loaded (null when the customer does not exist), for
    /// decisions that create the customer, move its clock or delete it. The context's now is the customer's own.
    /// </summary>
    public static async Task<Reply> RunRawAsync<TRequest, TCommand>(Call<TRequest> call, string customerId, TCommand command,
        Func<CustomerState?, Catalog, TCommand, UnitContext, Decision<Reply>> decide, IdempotencyRequest? idempotency)
    {
        var result = await MutateAsync(call, customerId, command, decide, idempotency).ConfigureAwait(false);
        return call.Finish(result);
    }

    /// <summary>The unit itself, for reads that gather values rather than answer on their own (lists).</summary>
    public static Task<StoreResult<T>> MutateAsync<TRequest, TCommand, T>(Call<TRequest> call, string customerId, TCommand command,
        Func<CustomerState?, Catalog, TCommand, UnitContext, Decision<T>> decide, IdempotencyRequest? idempotency)
    {
        var (t, clock, policy, ids) = Resolve(call);
        return call.Store.MutateCustomerAsync(t, customerId, (state, catalog) =>
            decide(state, catalog, command, new UnitContext(t, clock.NowFor(state?.Customer), policy, ids)), idempotency, call.Ct);
    }

    private static (TenantId, Clock, ResetPolicy, IIdGenerator) Resolve<TRequest>(Call<TRequest> call)
    {
        var services = call.Http.RequestServices;
        return (call.Tenant, services.GetRequiredService<Clock>(), services.GetRequiredService<ResetPolicy>(),
            services.GetRequiredService<IIdGenerator>());
    }
}
