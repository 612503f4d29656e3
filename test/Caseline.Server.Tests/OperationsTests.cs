using System.Net;
#if !POSTGRES
using System.Net.Http.Headers;
#endif
using Caseline.Server.Operations;
using Caseline.Server.Storage.Sqlite;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Caseline.Server.Tests;

public sealed class OperationsTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Live_and_ready_answer_json_with_each_check()
    {
        using var http = server.CreateClient();
        await WebhookTests.Until(() => server.Services.GetRequiredService<Webhooks.WebhookDispatcher>().LastRoundAt is not null, "the dispatcher's first round");

        var live = await http.GetAsync("/health/live", Ct);
        var ready = await http.GetAsync("/health/ready", Ct);
        var body = await ready.ReadObject();

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("Healthy", (string)(await live.ReadObject())["Status"]!);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("application/json", ready.Content.Headers.ContentType!.MediaType);
        Assert.Equal("Healthy", (string)body["Status"]!);
        Assert.Equal(["store", "dispatcher"], body["Checks"]!.AsObject().Select(c => c.Key));
        Assert.Contains("schema version", (string)body["Checks"]!["store"]!["Description"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_whose_schema_is_not_migrated_is_not_ready()
    {
        var path = Path.Combine(server.DataDirectory, "unmigrated", "caseline.db");
        var database = new SqliteDatabase(path);
        using (var connection = database.OpenWriter())
        {
            Storage.Sql.Execute(connection, "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);");
        }

        var result = await new StoreHealthCheck(database).CheckHealthAsync(new HealthCheckContext(), Ct);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains($"schema version 1 of {Storage.Schema.Version}", result.Description, StringComparison.Ordinal);
        SqliteConnection.ClearAllPools();
    }

#if POSTGRES
    [Fact]
    public async Task On_postgres_the_backup_route_says_the_database_server_backs_up()
    {
        using var platform = server.CreateClient();
        platform.DefaultRequestHeaders.Authorization = new("Bearer", await server.PasswordToken(CaselineServer.PlatformAdmin));

        var problem = await (await platform.PostAsync("/api/v1/admin/backup", null, Ct)).Problem(501);

        Assert.Contains("pg_dump", (string)problem["detail"]!, StringComparison.Ordinal);
    }
#else
    [Fact]
    public async Task A_backup_is_a_consistent_copy_taken_while_writes_go_on_and_only_the_platform_administrator_takes_one()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        for (var i = 0; i < 20; i++)
        {
            await http.Put($"/api/v1/clients/B{i}", """{"FirstName":"Ann","LastName":"Lee"}""");
        }

        using var platform = server.CreateClient();
        platform.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await server.PasswordToken(CaselineServer.PlatformAdmin));
        using var writing = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !writing.IsCancellationRequested; i++)
            {
                await http.Put($"/api/v1/clients/W{i}", """{"FirstName":"Wes","LastName":"Ray"}""");
            }
        }, Ct);

        var response = await platform.PostAsync("/api/v1/admin/backup", null, Ct);
        await writing.CancelAsync();
        await writer;
        var refused = await http.PostAsync("/api/v1/admin/backup", null, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var backup = await response.ReadObject();
        var file = Path.Combine(server.DataDirectory, (string)backup["File"]!);
        Assert.Equal(new FileInfo(file).Length, (long)backup["Bytes"]!);
        using var copy = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
        await copy.OpenAsync(Ct);
        using var check = copy.CreateCommand();
        check.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", await check.ExecuteScalarAsync(Ct));

        // Consistent: the copy's counter and its messages agree, and it holds at least what was acknowledged before it.
        check.CommandText = $"SELECT last_position FROM agencies WHERE name = '{agency}'";
        var position = (long)(await check.ExecuteScalarAsync(Ct))!;
        check.CommandText = $"SELECT COUNT(*) FROM messages m JOIN agencies a ON a.id = m.agency_id WHERE a.name = '{agency}'";
        Assert.Equal(position, (long)(await check.ExecuteScalarAsync(Ct))!);
        Assert.True(position >= 20, $"{position} messages in the copy");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }
#endif

    [Fact]
    public async Task Retention_prunes_delivered_deliveries_after_30_days_and_failed_ones_after_90_in_batches()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await using var receiver = await WebhookReceiver.StartAsync();
        var endpoint = (string)(await WebhookTests.Register(http, receiver.Url))["Id"]!;
        for (var i = 0; i < 12; i++)
        {
            await http.Put($"/api/v1/clients/R{i}", """{"FirstName":"Ann","LastName":"Lee"}""");
        }

        await WebhookTests.Until(() => server.Count($"SELECT COUNT(*) FROM deliveries WHERE endpoint_id = '{endpoint}' AND state = 'Delivered'") == 12, "every delivery");
        var day = TimeSpan.TicksPerDay;
        var now = DateTimeOffset.UtcNow.UtcTicks;
        var ids = $"SELECT id FROM deliveries WHERE endpoint_id = '{endpoint}' ORDER BY id";

        // 0-4 delivered 31 days ago (pruned), 5-7 delivered 29 days ago (kept), 8-9 failed 89 days ago (kept), 10-11 failed 91 days ago (pruned).
        server.Execute($"UPDATE deliveries SET finished_at = {now - (31 * day)} WHERE id IN ({ids} LIMIT 5)");
        server.Execute($"UPDATE deliveries SET finished_at = {now - (29 * day)} WHERE id IN ({ids} LIMIT 3 OFFSET 5)");
        server.Execute($"UPDATE deliveries SET state = 'Failed', finished_at = {now - (89 * day)} WHERE id IN ({ids} LIMIT 2 OFFSET 8)");
        server.Execute($"UPDATE deliveries SET state = 'Failed', finished_at = {now - (91 * day)} WHERE id IN ({ids} LIMIT 2 OFFSET 10)");
        var attemptsBefore = server.Count($"SELECT COUNT(*) FROM delivery_attempts WHERE delivery_id IN ({ids})");

        var sweeper = server.Services.GetRequiredService<RetentionSweeper>();
        var swept = await sweeper.SweepAsync(Ct);

        Assert.True(swept.Delivered >= 5 && swept.Failed >= 2, swept.ToString());
        Assert.Equal(5, server.Count($"SELECT COUNT(*) FROM deliveries WHERE endpoint_id = '{endpoint}'"));
        Assert.Equal(3, server.Count($"SELECT COUNT(*) FROM deliveries WHERE endpoint_id = '{endpoint}' AND state = 'Delivered'"));
        Assert.Equal(attemptsBefore - 7, server.Count($"SELECT COUNT(*) FROM delivery_attempts WHERE delivery_id IN ({ids})"));
        Assert.Equal(0, server.Count("SELECT COUNT(*) FROM delivery_attempts WHERE delivery_id NOT IN (SELECT id FROM deliveries)"));
        Assert.Equal(12, server.Log(agency).Count);
    }

    [Fact]
    public async Task Retention_deletes_spool_files_no_unfinished_job_owns_once_they_are_old()
    {
        var folder = Path.Combine(server.DataDirectory, "sync");
        Directory.CreateDirectory(folder);
        var orphan = Path.Combine(folder, "cut-off-upload.ndjson");
        var fresh = Path.Combine(folder, "still-uploading.ndjson");
        await File.WriteAllTextAsync(orphan, "{}\n", Ct);
        await File.WriteAllTextAsync(fresh, "{}\n", Ct);
        File.SetLastWriteTimeUtc(orphan, DateTime.UtcNow.AddDays(-1));

        var swept = await server.Services.GetRequiredService<RetentionSweeper>().SweepAsync(Ct);

        Assert.True(swept.SpoolFiles >= 1);
        Assert.False(File.Exists(orphan));
        Assert.True(File.Exists(fresh));
    }

    [Fact]
    public async Task Production_logs_are_json_on_the_console()
    {
        await using var production = CaselineServer.With(new Dictionary<string, string> { ["Environment"] = "Production" });
        await using var development = CaselineServer.With(new Dictionary<string, string> { ["Environment"] = "Development" });

        Assert.Equal("json", production.Services.GetRequiredService<IConfiguration>()["Logging:Console:FormatterName"]);
        Assert.Equal("simple", development.Services.GetRequiredService<IConfiguration>()["Logging:Console:FormatterName"]);
        Assert.Equal(StatusCodes.Status200OK, (int)(await production.CreateClient().GetAsync("/health/live", Ct)).StatusCode);
    }
}
