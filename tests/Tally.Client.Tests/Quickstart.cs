using Tally.Client;

namespace QuickstartSample;

/// <summary>
/// The README's C# quickstart, verbatim between the region markers (QuickstartTests checks the README against it).
/// This file's only using is <c>Tally.Client</c>: the Contracts types come from the package's buildTransitive props.
/// </summary>
internal static class Quickstart
{
    public static async Task RunAsync()
    {
        #region quickstart
        var client = new TallyClient(new TallyClientOptions { BaseUrl = new Uri("http://127.0.0.1:5080"), SecretKey = "am_sk_test_..." });
        BalancesTrackResponse t = await client.Balances.TrackAsync(new TrackParams { CustomerId = "c1", FeatureId = "messages", Value = 3 });
        CheckResponse c = await client.Balances.CheckAsync(new CheckParams { CustomerId = "c1", FeatureId = "messages", RequiredBalance = 5 });
        await client.Balances.UpdateAsync(new UpdateBalanceParams { CustomerId = "c1", FeatureId = "messages", Remaining = 10 });
        try { await client.Balances.TrackAsync(new TrackParams { CustomerId = "nobody", FeatureId = "messages" }); }
        catch (TallyApiException e) { Console.WriteLine($"{e.StatusCode} {e.Code}"); } // 404 customer_not_found
        #endregion
    }
}
