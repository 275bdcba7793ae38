using Tally.Contracts;

namespace Tally.Server.Tests.Api.Plans;

/// <summary>
/// plans.update's versioning fields from Autumn's schema: force_version and version work; the ones Tally does not carry
/// out are a 400 naming them (never accepted and dropped), and their false/empty values are accepted.
/// </summary>
public sealed class PlanVersioningFieldTests(TallyApp app) : IClassFixture<TallyApp>
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;
    private TallyApi Api => app.Api;

    private async Task<string> PlanAsync()
    {
        var feature = await Api.MeteredFeatureAsync();
        var id = Id.New("pv");
        (await Api.PostAsync("plans.create", $$"""{"plan_id":"{{id}}","name":"P","items":[{"feature_id":"{{feature}}","included":10}]}""")).ShouldBe(200);
        return id;
    }

    [Fact]
    public async Task Update_ForceVersion_MakesANewVersionWithoutCustomers()
    {
        var id = await PlanAsync();

        var plain = (await Api.PostAsync("plans.update", $$"""{"plan_id":"{{id}}","name":"Renamed"}""")).ShouldBe(200).As(C.Plan);
        var forced = (await Api.PostAsync("plans.update", $$"""{"plan_id":"{{id}}","name":"Forced","force_version":true}""")).ShouldBe(200).As(C.Plan);
        var first = (await Api.PostAsync("plans.get", $$"""{"plan_id":"{{id}}","version":1}""")).ShouldBe(200).As(C.Plan);

        Assert.Equal(1, plain.Version);
        Assert.Equal(2, forced.Version);
        Assert.Equal("Forced", forced.Name);
        Assert.Equal("Renamed", first.Name);
    }

    [Fact]
    public async Task Update_VersionOtherThanTheLatest_Is400NamingVersion_LatestIsAccepted()
    {
        var id = await PlanAsync();

        var latest = await Api.PostAsync("plans.update", $$"""{"plan_id":"{{id}}","name":"A","version":1}""");
        var other = await Api.PostAsync("plans.update", $$"""{"plan_id":"{{id}}","name":"B","version":7}""");
        var after = (await Api.PostAsync("plans.get", $$"""{"plan_id":"{{id}}"}""")).ShouldBe(200).As(C.Plan);

        latest.ShouldBe(200);
        other.ShouldFail(400, "invalid_inputs", "version");
        Assert.Equal("A", after.Name);
    }

    [Theory]
    [InlineData("\"disable_version\":true", "disable_version")]
    [InlineData("\"disable_version\":true,\"force_version\":true", "disable_version")]
    [InlineData("\"all_versions\":true", "all_versions")]
    [InlineData("\"update_variant_ids\":[\"v1\"]", "update_variant_ids")]
    [InlineData("\"base_plan_id\":\"base\"", "base_plan_id")]
    [InlineData("\"is_default\":true", "is_default")]
    public async Task Update_VersioningSwitchTallyDoesNotCarryOut_Is400NamingIt_AndChangesNothing(string fields, string named)
    {
        var id = await PlanAsync();

        var res = await Api.PostAsync("plans.update", $$"""{"plan_id":"{{id}}","name":"Changed",{{fields}}}""");
        var after = (await Api.PostAsync("plans.get", $$"""{"plan_id":"{{id}}"}""")).ShouldBe(200).As(C.Plan);

        res.ShouldFail(400, "invalid_inputs", named);
        Assert.Equal("P", after.Name);
        Assert.Equal(1, after.Version);
    }

    [Fact]
    public async Task Update_VersioningSwitchesAtTheirDefaults_AreAccepted()
    {
        var id = await PlanAsync();

        var res = await Api.PostAsync("plans.update", $$"""
            {"plan_id":"{{id}}","name":"Same","disable_version":false,"force_version":false,"all_versions":false,
             "update_variant_ids":[],"base_plan_id":null,"is_default":false}
            """);

        var p = res.ShouldBe(200).As(C.Plan);
        Assert.Equal("Same", p.Name);
        Assert.Equal(1, p.Version);
    }
}
