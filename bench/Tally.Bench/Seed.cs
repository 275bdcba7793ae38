using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Tally.Bench;

/// <summary>
/// The benchmark tenant: <c>messages</c> (customer-level, a plan grant of 1e9 a month), <c>seats</c> (continuous, types
/// entities) and <c>tokens</c> (1e9 a month per seat, so each entity has its own bucket). Everything is seeded over
/// the public API, except the million idle customers of the flat-cost case, which are written straight into SQLite.
/// </summary>
internal static class Seed
{
    public const string Hot = "hot";

    public static async Task<string> PostAsync(HttpClient http, string route, string json, bool allowConflict = false)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var r = await http.PostAsync("v1/" + route, content).ConfigureAwait(false);
        var body = await r.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (!r.IsSuccessStatusCode && !(allowConflict && (int)r.StatusCode == 409))
        {
            throw new InvalidOperationException($"{route} {json} -> {(int)r.StatusCode}: {body}");
        }
        return body;
    }

    /// <summary>Catalog, the hot customer with the plan attached, and <paramref name="entities"/> seats.</summary>
    public static async Task HotCustomerAsync(Server s, int entities, int extraSources, Action<string> log)
    {
        var sw = Stopwatch.StartNew();
        await PostAsync(s.Http, "features.create", """{"feature_id":"messages","name":"Messages","type":"metered","consumable":true}""").ConfigureAwait(false);
        await PostAsync(s.Http, "features.create", """{"feature_id":"seats","name":"Seats","type":"metered","consumable":false}""").ConfigureAwait(false);
        await PostAsync(s.Http, "features.create", """{"feature_id":"tokens","name":"Tokens","type":"metered","consumable":true}""").ConfigureAwait(false);
        await PostAsync(s.Http, "plans.create", """
            {"plan_id":"pro","name":"Pro","items":[
              {"feature_id":"messages","included":1000000000,"reset":{"interval":"month"}},
              {"feature_id":"seats","included":1000000},
              {"feature_id":"tokens","included":1000000000,"reset":{"interval":"month"},"entity_feature_id":"seats"}]}
            """).ConfigureAwait(false);
        await PostAsync(s.Http, "customers.get_or_create", $$"""{"customer_id":"{{Hot}}","name":"Hot customer"}""").ConfigureAwait(false);
        await PostAsync(s.Http, "billing.attach", $$"""{"customer_id":"{{Hot}}","plan_id":"pro"}""").ConfigureAwait(false);
        await ParallelAsync(entities, 16, i => PostAsync(s.Http, "entities.create",
            $$"""{"customer_id":"{{Hot}}","entity_id":"{{EntityId(i)}}","feature_id":"seats","name":"Seat {{i}}"}""")).ConfigureAwait(false);
        await ParallelAsync(extraSources, 8, i => PostAsync(s.Http, "balances.create",
            $$"""{"customer_id":"{{Hot}}","feature_id":"messages","included_grant":1000000000,"balance_id":"stack_{{i}}"}""")).ConfigureAwait(false);
        log($"seeded over HTTP: catalog, customer '{Hot}' with plan 'pro', {entities} entities, {extraSources} extra messages grants in {sw.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>
    /// <paramref name="count"/> more customers with plan 'pro' attached (after <see cref="HotCustomerAsync"/>): the
    /// spread load of P5, where requests of different customers need not wait for each other.
    /// </summary>
    public static async Task ManyCustomersAsync(Server s, int count, Action<string> log)
    {
        var sw = Stopwatch.StartNew();
        await ParallelAsync(count, 16, async i =>
        {
            await PostAsync(s.Http, "customers.get_or_create", $$"""{"customer_id":"{{CustomerId(i)}}"}""").ConfigureAwait(false);
            await PostAsync(s.Http, "billing.attach", $$"""{"customer_id":"{{CustomerId(i)}}","plan_id":"pro"}""").ConfigureAwait(false);
        }).ConfigureAwait(false);
        log($"seeded over HTTP: {count:N0} customers with plan 'pro' in {sw.Elapsed.TotalSeconds:0.0} s");
    }

    public static string CustomerId(int i) => "c" + i.ToString("D5", CultureInfo.InvariantCulture);

    public static string EntityId(int i) => "e" + i.ToString("D5", CultureInfo.InvariantCulture);

    private static async Task ParallelAsync(int count, int degree, Func<int, Task> work)
    {
        if (count <= 0)
        {
            return;
        }
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = degree },
            async (i, _) => await work(i).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes <paramref name="count"/> idle customers into a stopped server's SQLite file, in one transaction: the hot
    /// customer's row with its id, seq and name replaced (the JSON is the server's own encoding of a real customer).
    /// </summary>
    public static void BulkCustomers(string database, int count, Action<string> log)
    {
        var sw = Stopwatch.StartNew();
        var cs = new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString();
        using var c = new SqliteConnection(cs);
        c.Open();
        string org, env, data;
        long nextSeq, maxSeq;
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT org_id, env, data, next_seq FROM customers WHERE customer_id = $c";
            cmd.Parameters.AddWithValue("$c", Hot);
            using var r = cmd.ExecuteReader();
            if (!r.Read())
            {
                throw new InvalidOperationException("the hot customer row is missing");
            }
            (org, env, data, nextSeq) = (r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3));
        }
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT MAX(seq) FROM customers";
            maxSeq = Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
        var template = Template(data, out var seqIsString);
        using (var tx = c.BeginTransaction())
        using (var cmd = c.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = """
                INSERT INTO customers (org_id, env, customer_id, seq, next_seq, name, email, data)
                VALUES ($o, $e, $id, $seq, $next, $name, NULL, $data)
                """;
            var pOrg = cmd.Parameters.Add("$o", SqliteType.Text);
            var pEnv = cmd.Parameters.Add("$e", SqliteType.Text);
            var pId = cmd.Parameters.Add("$id", SqliteType.Text);
            var pSeq = cmd.Parameters.Add("$seq", SqliteType.Integer);
            var pNext = cmd.Parameters.Add("$next", SqliteType.Integer);
            var pName = cmd.Parameters.Add("$name", SqliteType.Text);
            var pData = cmd.Parameters.Add("$data", SqliteType.Text);
            pOrg.Value = org;
            pEnv.Value = env;
            pNext.Value = nextSeq;
            cmd.Prepare();
            for (var i = 0; i < count; i++)
            {
                var id = "bulk_" + i.ToString("D7", CultureInfo.InvariantCulture);
                var seq = maxSeq + 1 + i;
                var seqText = seq.ToString(CultureInfo.InvariantCulture);
                pId.Value = id;
                pSeq.Value = seq;
                pName.Value = "Customer " + seqText;
                pData.Value = template.Replace("@@ID@@", id, StringComparison.Ordinal)
                    .Replace("@@NAME@@", "Customer " + seqText, StringComparison.Ordinal)
                    .Replace(seqIsString ? "@@SEQ@@" : "\"@@SEQ@@\"", seqText, StringComparison.Ordinal);
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            cmd.ExecuteNonQuery();
        }
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT COUNT(*) FROM customers";
            log($"bulk-inserted {count} customers straight into SQLite in {sw.Elapsed.TotalSeconds:0.0} s; customers now: {cmd.ExecuteScalar()}; file {new FileInfo(database).Length / 1048576.0:0} MB");
        }
    }

    private static string Template(string data, out bool seqIsString)
    {
        var node = JsonNode.Parse(data)!.AsObject();
        node["id"] = "@@ID@@";
        node["name"] = "@@NAME@@";
        seqIsString = true;
        if (node.TryGetPropertyValue("seq", out var seq) && seq is not null)
        {
            seqIsString = seq.GetValueKind() == System.Text.Json.JsonValueKind.String;
            node["seq"] = "@@SEQ@@";
        }
        return node.ToJsonString();
    }
}
