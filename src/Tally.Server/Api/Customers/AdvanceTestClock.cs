using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Http;
using Tally.Server.Mapping;

namespace Tally.Server.Api.Customers;

/// <summary>
/// customers.advance_test_clock (sandbox only): moves one customer's "now" forward. Every time-dependent decision
/// for that customer then uses it: resets, expiries, locks, default event timestamps, plans attached later.
/// </summary>
internal static class AdvanceTestClock
{
    public static async Task<Reply> Handle(Call<AdvanceTestClockParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        if (t.Env != Env.Sandbox)
        {
            return Errors.BadRequest(t, "Test clocks exist only in the sandbox environment (use an am_sk_test_ key)");
        }
        if (Limits.Timestamp(t, "frozen_time", r.FrozenTime) is { } outOfRange)
        {
            return outOfRange;
        }
        // Whole seconds, as Autumn does.
        var target = DateTimeOffset.FromUnixTimeMilliseconds(r.FrozenTime - ((r.FrozenTime % 1000) + 1000) % 1000);
        return await CustomerUnit.RunRawAsync(call, r.CustomerId, new Command(r.CustomerId, target), Decide, call.Idempotency())
            .ConfigureAwait(false);
    }

    /// <summary>The customer and the whole second its clock moves to.</summary>
    public readonly record struct Command(string CustomerId, DateTimeOffset Target);

    /// <summary>
    /// The decision: moves the customer's clock to the target and settles what falls due up to it. The state is
    /// taken as loaded, not settled at the old now first: everything due by the target is settled in one pass.
    /// </summary>
    public static Decision<Reply> Decide(CustomerState? state, Catalog cat, Command cmd, UnitContext u)
    {
        var t = u.Tenant;
        if (state is null)
        {
            return UnitContext.Fail(Errors.CustomerNotFound(t, cmd.CustomerId));
        }
        if (cmd.Target <= u.Now)
        {
            return UnitContext.Fail(Errors.Invalid(t, $"frozen_time: must be later than the customer's current time {BalanceWire.Ms(u.Now)}"));
        }
        var w = new Working(state);
        w.SetCustomer(state.Customer with { TestClock = cmd.Target });
        Lifecycle.Settle(w, cat, cmd.Target, u.Policy, u.Ids);
        var reply = Reply.Ok(new AdvanceTestClockResponse
        {
            CustomerId = cmd.CustomerId,
            FrozenTime = BalanceWire.Ms(cmd.Target),
            Status = "ready",
        }, TallyJsonContext.Default.AdvanceTestClockResponse);
        return UnitContext.Commit(w, reply);
    }
}
