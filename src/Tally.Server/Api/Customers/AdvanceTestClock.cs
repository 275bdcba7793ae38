using Tally.Contracts;
using Tally.Core.Domain;
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
        var result = await call.Store.MutateCustomerAsync(t, r.CustomerId, (state, cat) =>
        {
            if (state is null)
            {
                return Units.Fail(Errors.CustomerNotFound(t, r.CustomerId));
            }
            var current = call.Clock.NowFor(state.Customer);
            if (target <= current)
            {
                return Units.Fail(Errors.Invalid(t,
                    $"frozen_time: must be later than the customer's current time {BalanceWire.Ms(current)}"));
            }
            var moved = state.Customer with { TestClock = target };
            var w = new Core.Engine.Working(state);
            w.SetCustomer(moved);
            Core.Engine.Lifecycle.Settle(w, cat, target, call.Policy, call.Ids);
            var reply = Reply.Ok(new AdvanceTestClockResponse
            {
                CustomerId = r.CustomerId,
                FrozenTime = BalanceWire.Ms(target),
                Status = "ready",
            }, TallyJsonContext.Default.AdvanceTestClockResponse);
            return Units.Commit(w, reply);
        }, call.Idempotency(), call.Ct).ConfigureAwait(false);
        return call.Finish(result);
    }
}
