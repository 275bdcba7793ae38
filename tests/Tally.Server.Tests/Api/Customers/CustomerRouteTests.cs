using Tally.Contracts;

namespace Tally.Server.Tests.Api.Customers;

/// <summary>customers.* (autumn-api.md §3.1, §5.1): happy paths and every error code they can produce.</summary>
public sealed class CustomerRouteTests(TallyApp app) : IClassFixture<TallyApp>
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;
    private TallyApi Api => app.Api;

    [Fact]
    public async Task GetOrCreate_CreatesThenReturnsTheSameCustomer_FillingOnlyEmptyFields()
    {
        var id = Id.New("cus");

        var created = await Api.OkAsync("customers.get_or_create",
            new GetOrCreateCustomerParams { CustomerId = id, Name = "Ada" }, C.Customer);
        var again = await Api.OkAsync("customers.get_or_create",
            new GetOrCreateCustomerParams { CustomerId = id, Name = "Grace", Email = "ada@example.com" }, C.Customer);

        Assert.Equal(id, created.Id);
        Assert.Equal("Ada", created.Name);
        Assert.Null(created.Email);
        Assert.Equal("sandbox", created.Env);
        Assert.Empty(created.Balances);
        Assert.Equal("Ada", again.Name);
        Assert.Equal("ada@example.com", again.Email);
        Assert.Equal(created.CreatedAt, again.CreatedAt);
    }

    [Fact]
    public async Task GetOrCreate_AttachesAutoEnablePlans()
    {
        // Auto-enable plans apply to every new customer of the tenant: a server of its own.
        await using var own = await TallyApp.StartAsync();
        var api = own.Api;
        var msg = await api.MeteredFeatureAsync();
        var plan = Id.New("free");
        await api.OkAsync("plans.create", new CreatePlanParams { PlanId = plan, Name = "Free", AutoEnable = true, Items = [Setup.Item(msg, 7)] }, C.Plan);

        var customer = await api.OkAsync("customers.get_or_create", new GetOrCreateCustomerParams { CustomerId = Id.New("cus") }, C.Customer);

        Assert.Contains(customer.Subscriptions, s => s.PlanId == plan);
        Assert.Equal(7m, customer.Balances[msg].Granted);
    }

    [Fact]
    public async Task GetOrCreate_UnknownAutoEnablePlan_Is404ProductNotFound_AndCreatesNothing()
    {
        var id = Id.New("cus");

        var res = await Api.PostAsync("customers.get_or_create", $$"""{"customer_id":"{{id}}","auto_enable_plan_id":"no_such_plan"}""");

        res.ShouldFail(404, "product_not_found", "no_such_plan");
        (await Api.GetCustomerRawAsync(id)).ShouldFail(404, "customer_not_found");
    }

    [Theory]
    [InlineData("""{"customer_id":null}""", "customer_id")]
    [InlineData("""{}""", "customer_id")]
    [InlineData("""{"customer_id":"has space"}""", "customer_id")]
    [InlineData("""{"customer_id":"a@b.c"}""", "customer_id")]
    [InlineData("""{"customer_id":"ok_id","metadata":[1]}""", "metadata")]
    public async Task GetOrCreate_BadInput_Is400NamingTheField(string body, string field)
    {
        var res = await Api.PostAsync("customers.get_or_create", body);

        res.ShouldBeInvalid(field);
    }

    [Fact]
    public async Task Get_UnknownIs404CustomerNotFound()
    {
        var res = await Api.PostAsync("customers.get", """{"customer_id":"nobody_at_all"}""");

        res.ShouldFail(404, "customer_not_found", "nobody_at_all");
    }

    [Theory]
    [InlineData("customers.get")]
    [InlineData("customers.delete")]
    public async Task EmptyCustomerId_Is400NamingTheField(string route)
    {
        var res = await Api.PostAsync(route, """{"customer_id":""}""");

        res.ShouldBeInvalid("customer_id");
    }

    [Fact]
    public async Task Get_ExpandEntities_ListsThem()
    {
        var seats = await Api.MeteredFeatureAsync(consumable: false);
        var customer = await Api.CustomerAsync();
        await Api.OkAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = "e1", FeatureId = seats }, C.EntityResponse);

        var plain = await Api.GetCustomerRawAsync(customer);
        var expanded = await Api.OkAsync("customers.get", new GetCustomerParams { CustomerId = customer, Expand = ["entities"] }, C.Customer);

        Assert.False(plain.ShouldBe(200).Json.TryGetProperty("entities", out _));
        Assert.Equal("e1", Assert.Single(expanded.Entities!).Id);
    }

    [Fact]
    public async Task List_PagesNewestFirstByDefault_OrOldestFirst_WithOpaqueCursors()
    {
        // A server of its own, so the listing holds exactly these customers.
        await using var own = await TallyApp.StartAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await own.Api.CustomerAsync());
        }
        var newestFirst = Enumerable.Reverse(ids).ToList();

        var first = await own.Api.OkAsync("customers.list", new ListCustomersParams { Limit = 2 }, C.CursorListResponseCustomer);
        var second = await own.Api.OkAsync("customers.list", new ListCustomersParams { Limit = 2, StartCursor = first.NextCursor }, C.CursorListResponseCustomer);
        var third = await own.Api.OkAsync("customers.list", new ListCustomersParams { Limit = 2, StartCursor = second.NextCursor }, C.CursorListResponseCustomer);
        var asc = await own.Api.OkAsync("customers.list", new ListCustomersParams { Limit = 3, SortOrder = "asc" }, C.CursorListResponseCustomer);
        var ascRest = await own.Api.OkAsync("customers.list", new ListCustomersParams { SortOrder = "asc", StartCursor = asc.NextCursor }, C.CursorListResponseCustomer);
        var all = await own.Api.OkAsync("customers.list", new ListCustomersParams(), C.CursorListResponseCustomer);
        var mixed = await own.Api.PostAsync("customers.list", new ListCustomersParams { SortOrder = "asc", StartCursor = first.NextCursor });

        Assert.Equal(newestFirst[..2], first.List.Select(c => c.Id!));
        Assert.Equal(newestFirst[2..4], second.List.Select(c => c.Id!));
        Assert.Equal(newestFirst[4..], third.List.Select(c => c.Id!));
        Assert.NotNull(first.NextCursor);
        Assert.Null(third.NextCursor);
        Assert.Equal(ids[..3], asc.List.Select(c => c.Id!));
        Assert.Equal(ids[3..], ascRest.List.Select(c => c.Id!));
        Assert.Null(ascRest.NextCursor);
        Assert.Equal(newestFirst, all.List.Select(c => c.Id!));
        Assert.Null(all.NextCursor);
        mixed.ShouldFail(400, "invalid_cursor", "start_cursor");
    }

    [Theory]
    [InlineData("not-a-cursor!!")]
    [InlineData("ZXZ0OjEw")] // base64url of "evt:10": a cursor of another list
    public async Task List_BadCursor_Is400InvalidCursor(string cursor)
    {
        var res = await Api.PostAsync("customers.list", $$"""{"start_cursor":"{{cursor}}"}""");

        res.ShouldFail(400, "invalid_cursor", "start_cursor");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    public async Task List_LimitOutOfRange_Is400NamingLimit(int limit)
    {
        var res = await Api.PostAsync("customers.list", $$"""{"limit":{{limit}}}""");

        res.ShouldBeInvalid("limit");
    }

    [Fact]
    public async Task List_Search_MatchesIdNameOrEmail()
    {
        var id = Id.New("cus");
        await Api.OkAsync("customers.get_or_create", new GetOrCreateCustomerParams { CustomerId = id, Email = $"{id}@example.com" }, C.Customer);

        var found = await Api.OkAsync("customers.list", new ListCustomersParams { Search = id }, C.CursorListResponseCustomer);

        Assert.Equal(id, Assert.Single(found.List).Id);
    }

    [Fact]
    public async Task Update_ChangesProfileFields()
    {
        var id = await Api.CustomerAsync();

        var updated = await Api.PostAsync("customers.update",
            $$$"""{"customer_id":"{{{id}}}","name":"Grace","email":"g@example.com","metadata":{"tier":"gold"}}""");
        var fetched = await Api.GetCustomerAsync(id);

        var c = updated.ShouldBe(200).As(C.Customer);
        Assert.Equal("Grace", c.Name);
        Assert.Equal("g@example.com", c.Email);
        Assert.Equal("gold", c.Metadata["tier"].GetString());
        Assert.Equal("Grace", fetched.Name);
        Assert.Equal("gold", fetched.Metadata["tier"].GetString());
    }

    [Fact]
    public async Task Update_NewCustomerId_MovesTheCustomerAndItsBalance()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(10);
        (await Api.TrackAsync(customer, feature, 3)).ShouldBe(200);
        var newId = Id.New("moved");

        var res = await Api.PostAsync("customers.update", new UpdateCustomerParams { CustomerId = customer, NewCustomerId = newId });

        Assert.Equal(newId, res.ShouldBe(200).As(C.Customer).Id);
        (await Api.GetCustomerRawAsync(customer)).ShouldFail(404, "customer_not_found");
        Assert.Equal(7m, (await Api.BalanceAsync(newId, feature))!.Remaining);
    }

    [Fact]
    public async Task Update_UnknownIs404_NewIdTakenIs409CustomerAlreadyExists()
    {
        var a = await Api.CustomerAsync();
        var b = await Api.CustomerAsync();

        var missing = await Api.PostAsync("customers.update", """{"customer_id":"nobody_at_all","name":"x"}""");
        var missingRename = await Api.PostAsync("customers.update", """{"customer_id":"nobody_at_all","new_customer_id":"someone_new"}""");
        var taken = await Api.PostAsync("customers.update", new UpdateCustomerParams { CustomerId = a, NewCustomerId = b });

        missing.ShouldFail(404, "customer_not_found");
        missingRename.ShouldFail(404, "customer_not_found");
        taken.ShouldFail(409, "customer_already_exists", b);
        Assert.Equal(a, (await Api.GetCustomerAsync(a)).Id);
    }

    [Fact]
    public async Task Delete_RemovesTheCustomer_AndItsEvents_UnknownIs404()
    {
        var (customer, feature, plan) = await Api.CustomerWithBalanceAsync(10);
        (await Api.TrackAsync(customer, feature, 4)).ShouldBe(200);

        var deleted = await Api.PostAsync("customers.delete", new DeleteCustomerParams { CustomerId = customer });
        var gone = await Api.GetCustomerRawAsync(customer);
        var again = await Api.PostAsync("customers.delete", new DeleteCustomerParams { CustomerId = customer });
        var events = await Api.EventsAsync(customer);
        await Api.CustomerAsync(customer);
        await Api.AttachAsync(customer, plan);
        var reborn = await Api.BalanceAsync(customer, feature);

        Assert.True(deleted.ShouldBe(200).Json.GetProperty("success").GetBoolean());
        gone.ShouldFail(404, "customer_not_found");
        again.ShouldFail(404, "customer_not_found");
        Assert.Empty(events);
        Assert.Equal(10m, reborn!.Remaining);
        Assert.Equal(0m, reborn.Usage);
    }
}
