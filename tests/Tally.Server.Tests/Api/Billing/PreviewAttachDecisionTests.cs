using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Server.Api.Billing;
using static Tally.Server.Tests.Api.Kit;

using Plan = Tally.Core.Domain.Plan;

namespace Tally.Server.Tests.Api.Billing;

/// <summary>billing.preview_attach's decision called directly: attach's answer as a dry run, with nothing to commit.</summary>
public sealed class PreviewAttachDecisionTests
{
    // The same plan and catalog as attach's own decision tests: the preview must answer what that attach would do.
    private static readonly Plan Pro = AttachDecisionTests.Pro;
    private static readonly Catalog Cat = AttachDecisionTests.Cat;

    [Fact]
    public void Decide_ShowsThePlanComingInAndTheBalanceItWouldGrant_AndCommitsNothing()
    {
        var state = Customer("cus_1");
        var u = At();
        var cmd = new Attach.Command(new AttachParams { CustomerId = "cus_1", PlanId = "pro" }, Pro, new Dictionary<string, decimal>());

        var d = PreviewAttach.Decide(u.Open(state, Cat), Cat, cmd, u);
        var attachAfterPreview = Attach.Decide(u.Open(state, Cat), Cat, cmd, u);

        Assert.Equal(200, d.Result.Status);
        Assert.Null(d.Changes);
        var body = Json(d.Result);
        Assert.Equal("pro", body.GetProperty("incoming")[0].GetProperty("plan_id").GetString());
        Assert.Equal(0, body.GetProperty("outgoing").GetArrayLength());
        var balance = body.GetProperty("balances")[0];
        Assert.Equal("messages", balance.GetProperty("feature_id").GetString());
        Assert.Equal(100m, balance.GetProperty("after").GetProperty("remaining").GetDecimal());
        Assert.Equal(200, attachAfterPreview.Result.Status);
    }

    [Fact]
    public void Decide_PlanAlreadyAttached_AnswersAsAttachWould()
    {
        var state = Customer("cus_1");
        var u = At();
        var cmd = new Attach.Command(new AttachParams { CustomerId = "cus_1", PlanId = "pro" }, Pro, new Dictionary<string, decimal>());
        state.Apply(Attach.Decide(u.Open(state, Cat), Cat, cmd, u).Changes!);

        var d = PreviewAttach.Decide(u.Open(state, Cat), Cat, cmd, u);

        Assert.Equal((409, "plan_already_attached"), (d.Result.Status, Code(d.Result)));
        Assert.Null(d.Changes);
    }
}
