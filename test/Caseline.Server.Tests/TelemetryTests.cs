using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace Caseline.Server.Tests;

public sealed class TelemetryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Prometheus_scrapes_the_caseline_meter_and_no_personal_data()
    {
        await using var server = CaselineServer.With(new Dictionary<string, string> { ["Caseline:Telemetry:Prometheus"] = "true" });
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await using var receiver = await WebhookReceiver.StartAsync();
        await WebhookTests.Register(http, receiver.Url);
        await http.Put("/api/v1/clients/T1", """{"FirstName":"Zelda","LastName":"Quux","DateOfBirth":"1980-02-03","Email":"zq@example.org"}""");
        await http.Put("/api/v1/clients/T1/addresses/H", """{"AddressType":"Home","Address":"77 Sunset Strip"}""");
        var sync = await http.PostAsync("/api/v1/sync/clients", new StringContent("""{"IntegrationId":"T2","FirstName":"Yan","LastName":"Ode"}""" + "\n", System.Text.Encoding.UTF8, "application/x-ndjson"), Ct);
        Assert.Equal(HttpStatusCode.Accepted, sync.StatusCode);
        await WebhookTests.Until(() => receiver.Requests.Count == 4, "every delivery");
        var poll = http.GetAsync("/api/v1/transmit/messages?afterPosition=4&wait=2", Ct);

        await Task.Delay(300, Ct);
        var scrape = await server.CreateClient().GetStringAsync("/metrics", Ct);
        await poll;

        Assert.Matches($"caseline_messages_appended_total\\{{[^}}]*agency=\"{agency}\"[^}}]*sub_type=\"Personal Details\"[^}}]*\\}} 2", scrape);
        foreach (var metric in new[]
        {
            "caseline_write_batch_size_bucket", "caseline_write_commit_duration_seconds_bucket", "outcome=\"2xx\"",
            "caseline_delivery_latency_seconds_bucket", "caseline_webhook_backlog", "caseline_sync_profiles_total", "caseline_feed_waiters",
            "http_server_request_duration_seconds_bucket",
        })
        {
            Assert.Contains(metric, scrape, StringComparison.Ordinal);
        }

        Assert.Matches("caseline_feed_waiters(\\{[^}]*\\})? 1", scrape);
        foreach (var personal in new[] { "Zelda", "Quux", "1980-02-03", "zq@example.org", "Sunset", "Yan" })
        {
            Assert.DoesNotContain(personal, scrape, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Without_the_setting_there_is_no_scrape_endpoint()
    {
        await using var server = new CaselineServer();

        var response = await server.CreateClient().GetAsync("/metrics", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_sync_request_s_trace_holds_its_write_and_each_delivery_attempt_links_to_that_write()
    {
        var trace = ActivityTraceId.CreateRandom();
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Caseline" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var server = new CaselineServer();
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await using var receiver = await WebhookReceiver.StartAsync();
        var endpoint = (string)(await WebhookTests.Register(http, receiver.Url))["Id"]!;

        using var request = new HttpRequestMessage(HttpMethod.Put, "/api/v1/clients/T1") { Content = Http.Json("""{"FirstName":"Ann","LastName":"Lee"}""") };
        request.Headers.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01");
        Assert.Equal(HttpStatusCode.Created, (await http.SendAsync(request, Ct)).StatusCode);
        await WebhookTests.Until(() => spans.Any(s => s.OperationName == "caseline.webhook.deliver" && (string?)s.GetTagItem("caseline.endpoint") == endpoint), "the delivery's span");

        var handled = Assert.Single(spans, s => s.TraceId == trace && s.Source.Name == "Microsoft.AspNetCore");
        var write = Assert.Single(spans, s => s.TraceId == trace && s.OperationName == "caseline.write");
        var deliver = spans.First(s => s.OperationName == "caseline.webhook.deliver" && (string?)s.GetTagItem("caseline.endpoint") == endpoint);
        Assert.Equal(handled.SpanId, write.ParentSpanId);
        Assert.Contains(deliver.Links, link => link.Context.TraceId == trace && link.Context.SpanId == write.SpanId);
        Assert.Equal(204, (int)deliver.GetTagItem("http.response.status_code")!);
        Assert.Equal(write.Id, server.Execute("SELECT trace FROM messages WHERE client_id = 'T1'", readOnly: true));
    }

    [Fact]
    public async Task No_span_is_chained_under_another_unit_s_write_and_each_delivery_attempt_is_a_root_span()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Caseline",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var server = new CaselineServer();
        using var http = await server.ForAsync(CaselineServer.NewAgency());
        await using var receiver = await WebhookReceiver.StartAsync();
        var endpoint = (string)(await WebhookTests.Register(http, receiver.Url))["Id"]!;
        for (var i = 0; i < 5; i++)
        {
            await http.Put($"/api/v1/clients/U{i}", """{"FirstName":"Ann","LastName":"Lee"}""");
        }

        await WebhookTests.Until(() => spans.Count(s => (string?)s.GetTagItem("caseline.endpoint") == endpoint) == 5, "five delivery spans");

        // The writer thread runs many units in a row: none may become the parent of the next, nor of an attempt.
        var writes = spans.Where(s => s.OperationName == "caseline.write").Select(s => s.SpanId).ToHashSet();
        Assert.DoesNotContain(spans, s => writes.Contains(s.ParentSpanId));
        Assert.All(spans.Where(s => (string?)s.GetTagItem("caseline.endpoint") == endpoint), s => Assert.Equal(default, s.ParentSpanId));
        Assert.Equal(5, spans.Where(s => (string?)s.GetTagItem("caseline.endpoint") == endpoint).Select(s => s.TraceId).Distinct().Count());
    }
}
