using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Caseline.Messages;
using Caseline.Messages.Json;
using CsCheck;

namespace Caseline.Server.Tests;

/// <summary>
/// Generated Sync requests, valid and hostile, against the real server: every one is answered 2xx or a 4xx
/// problem document, a 4xx changes nothing, and a 2xx emits exactly one message per section or item it
/// changed, carrying that section's new state (its last state when removed). Reproducible from the seed
/// printed on failure: <c>CASELINE_FUZZ_SEED=&lt;seed&gt;</c>.
/// </summary>
public sealed class HostileInputTests
{
    private const int Workers = 8;
    private const int BodiesPerWorker = 12_500;
    private static readonly string[] Clients = ["C0", "C1", "C2"];
    private static readonly string[] Items = ["I1", "I2", "I3", "bad id!", "ünï", new('x', 300)];
    private static readonly Section[] Own = [.. Section.All.Where(s => !s.IsCollection)];
    private static readonly Section[] Collections = [.. Section.All.Where(s => s.IsCollection)];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>One generated request: its method, its path after the client, and its body's bytes.</summary>
    internal sealed record Request(HttpMethod Method, string Client, string Path, byte[] Body)
    {
        public override string ToString()
        {
            var text = Encoding.UTF8.GetString(Body);
            return $"{Method} {Path} {text[..Math.Min(text.Length, 400)]}";
        }
    }

    [Fact]
    public async Task A_hundred_thousand_generated_bodies_are_each_answered_2xx_or_a_4xx_problem_and_change_exactly_what_they_say()
    {
        var seed = ulong.TryParse(Environment.GetEnvironmentVariable("CASELINE_FUZZ_SEED"), CultureInfo.InvariantCulture, out var given) ? given : (ulong)Random.Shared.NextInt64();
        // The per-caller rate limit would answer 429 instead of validating: lift it for this flood.
        await using var server = CaselineServer.With(new Dictionary<string, string> { ["Caseline:Identity:RateLimitPermits"] = "100000000" });
        var results = await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => RunWorkerAsync(server, seed, w)));

        var total = results.Sum(r => r.Sent);
        Assert.True(total >= 100_000, $"{total} bodies");
        Assert.True(results.Sum(r => r.Accepted) > 10_000, $"{results.Sum(r => r.Accepted)} accepted: the generator must reach the write path");
        Assert.True(results.Sum(r => r.Refused) > 20_000, $"{results.Sum(r => r.Refused)} refused");
        TestContext.Current.TestOutputHelper?.WriteLine($"seed {seed}: {total} bodies, {results.Sum(r => r.Accepted)} accepted, {results.Sum(r => r.Refused)} refused");
    }

    private static async Task<(int Sent, int Accepted, int Refused)> RunWorkerAsync(CaselineServer server, ulong seed, int worker)
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        var model = Clients.ToDictionary(c => c, _ => (ClientProfile?)null);
        long head = 0;
        var pcg = new PCG((uint)worker, seed);
        int accepted = 0, refused = 0;
        for (var i = 0; i < BodiesPerWorker; i++)
        {
            var request = Requests.Generate(pcg, null, out _);
            using var message = new HttpRequestMessage(request.Method, "/api/v1/clients" + request.Path) { Content = new ByteArrayContent(request.Body) };
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            string Where() => $"seed {seed}, worker {worker}, body {i}: {request}";
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(message, Ct);
            }
            catch (HttpRequestException e)
            {
                throw new InvalidOperationException($"no answer ({e.Message}) for {Where()}", e);
            }

            using var answered = response;
            var status = (int)response.StatusCode;
            if (status is >= 500 or 429)
            {
                Assert.Fail($"{status} for {Where()}");
            }

            if (status >= 400)
            {
                if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                {
                    Assert.Fail($"{status} without a problem document for {Where()}");
                }

                refused++;
            }
            else
            {
                // A flipped byte can turn a POST's IntegrationId into another valid one ("C0" into "t0"): the client
                // created is the one the server answers with.
                var client = request.Method == HttpMethod.Post ? (string)(await response.ReadObject())["IntegrationId"]! : request.Client;
                model.TryAdd(client, null);
                head = await CheckAcceptedAsync(http, model, client, head, Where);
                accepted++;
            }

            if (i % 1000 == 999 || i == BodiesPerWorker - 1)
            {
                // The refused bodies since the last check emitted and stored nothing.
                Assert.Equal(head, await HeadAsync(http));
                foreach (var client in Clients)
                {
                    Assert.Equal(Sections(model[client]), Sections(await ProfileAsync(http, client)));
                }
            }
        }

        return (BodiesPerWorker, accepted, refused);
    }

    /// <summary>The messages since <paramref name="head"/> are exactly the differences between the client's profile before and after.</summary>
    private static async Task<long> CheckAcceptedAsync(HttpClient http, Dictionary<string, ClientProfile?> model, string client, long head, Func<string> where)
    {
        var before = Sections(model[client]);
        var afterProfile = await ProfileAsync(http, client);
        var after = Sections(afterProfile);
        var page = await (await http.GetAsync($"/api/v1/transmit/messages?afterPosition={head}&limit=1000", Ct)).ReadObject();
        var messages = page["Messages"]!.AsArray().Select(m => MessageReader.Read(m!["Message"]!.ToJsonString())).ToList();

        var expected = new List<string>();
        foreach (var (key, bytes) in after)
        {
            if (!before.TryGetValue(key, out var old))
            {
                expected.Add($"{key} Created {bytes}");
            }
            else if (old != bytes)
            {
                expected.Add($"{key} Updated {bytes}");
            }
        }

        expected.AddRange(before.Where(b => !after.ContainsKey(b.Key)).Select(b => $"{b.Key} Removed {b.Value}"));
        var emitted = messages.Select(m => $"{Key(m.Details)} {m.Verb} {Encoding.UTF8.GetString(MessageWriter.DetailsToUtf8Bytes(m.Details))}").ToList();
        if (!messages.All(m => m.Client.IntegrationId == client) || !expected.Order(StringComparer.Ordinal).SequenceEqual(emitted.Order(StringComparer.Ordinal)))
        {
            Assert.Fail($"for {where()}\nexpected:\n{string.Join('\n', expected)}\nemitted:\n{string.Join('\n', emitted)}");
        }
        model[client] = afterProfile;
        return head + messages.Count;
    }

    private static async Task<long> HeadAsync(HttpClient http) => (long)(await (await http.GetAsync("/api/v1/transmit/head", Ct)).ReadObject())["Position"]!;

    private static async Task<ClientProfile?> ProfileAsync(HttpClient http, string client)
    {
        var response = await http.GetAsync($"/api/v1/clients/{client}", Ct);
        return response.StatusCode == HttpStatusCode.NotFound ? null : ClientProfileOf(await response.Content.ReadAsStringAsync(Ct));
    }

    private static ClientProfile ClientProfileOf(string json) =>
        System.Text.Json.JsonSerializer.Deserialize(json, MessageJsonContext.Default.ClientProfile)!;

    private static string Key(SectionDetails details) => $"{details.SubType}/{(details as ItemDetails)?.IntegrationId}";

    private static Dictionary<string, string> Sections(ClientProfile? profile) =>
        (profile?.Sections ?? []).ToDictionary(Key, s => Encoding.UTF8.GetString(MessageWriter.DetailsToUtf8Bytes(s)), StringComparer.Ordinal);

    // ---- the generator ----

    private static readonly Gen<string> Hostile = Gen.OneOf(
        Gen.OneOf("null", "true", "false", "0", "-0", "1e400", "-1e400", "123456789012345678901234567890", "1.5", "-7", "[]", "{}", "\"\"", "\"   \"",
            "\"\\u0000\"", "\"\\ud800\"", "\"\\udfff x\"", "\"\\u202eevil\"", "\"a\\u0007b\"", "\"<script>\"", "\"2020-02-30\"", "\"0000-01-01\"",
            "\"9999-12-31\"", "\"1899-12-31\"", "\"1980-02-03T10:00:00Z\"", "\"Mars Standard Time\"", "\"😀\"", "\"e\\u0301\"", "[[[[[[[[]]]]]]]]",
            "{\"a\":{\"b\":{\"c\":[1,{\"d\":null}]}}}", "\"line\nbreak\"", "NaN", "Infinity", "'single'", "\"\\x41\""),
        Gen.Int[1, 20_000].Select(n => "\"" + new string('a', n) + "\""),
        Gen.Int[1, 3_000].Select(n => new string('[', n) + new string(']', n)),
        Gen.Int[1, 2_000].Select(n => "[" + string.Join(",", Enumerable.Repeat("{\"IntegrationId\":\"X\"}", n)) + "]"),
        Gen.Char.Array[1, 40].Select(chars => System.Text.Json.JsonSerializer.Serialize(new string(chars))));

    private static Gen<string> Valid(FieldSpec field) => field.Kind switch
    {
        FieldKind.Identifier => Gen.OneOf("\"A1\"", "\"X-9\"", "\"id.7\""),
        FieldKind.Text => Gen.OneOf("\"Ann\"", "\"Lee-Ray\"", "\"O'Neil\"", "\"Zoë\"", "\"李\"", "\"  padded  \"", "\"1 Main St\""),
        FieldKind.Enumeration => Gen.OneOf([.. field.AllowedValues.Select(v => $"\"{v}\"").Append($"\"{field.AllowedValues[0].ToUpperInvariant()}\"")]),
        FieldKind.Date => Gen.Int[0, 40_000].Select(d => $"\"{new DateOnly(1900, 1, 1).AddDays(d):yyyy-MM-dd}\""),
        FieldKind.Year => Gen.Int[1900, 2030].Select(y => $"\"{y}\""),
        FieldKind.Email => Gen.OneOf("\"a@b.co\"", "\"ann.lee@county.gov\"", "\"x@y\""),
        FieldKind.TimeZone => Gen.OneOf("\"Mountain Standard Time\"", "\"America/Denver\"", "\"UTC\""),
        FieldKind.Number => Gen.Int[0, 100_000].Select(n => (n / 100m).ToString(CultureInfo.InvariantCulture)),
        FieldKind.Boolean => Gen.OneOf("true", "false"),
        FieldKind.List => Gen.Int[0, 3].SelectMany(n => ObjectOf(field.ItemFields, 0.7).Array[n]).Select(items => "[" + string.Join(",", items) + "]"),
        _ => Hostile,
    };

    private static Gen<string> Value(FieldSpec field) => Gen.Frequency((28, Valid(field)), (2, Hostile), (1, Valid(OtherKind(field))));

    private static FieldSpec OtherKind(FieldSpec field) =>
        Section.All.SelectMany(s => s.Fields).First(f => f.Kind != field.Kind && f.Kind != FieldKind.List);

    /// <summary>An object with each field present with probability <paramref name="presence"/>, now and then an unknown, re-cased or repeated key.</summary>
    private static Gen<string> ObjectOf(IEnumerable<FieldSpec> fields, double presence)
    {
        var members = fields.Select(f => Gen.Double[0, 1].SelectMany(p => p < presence ? Value(f).Select(v => $"\"{f.Name}\":{v}") : Gen.Const(""))).ToArray();
        var extra = Gen.Frequency(
            (12, Gen.Const("")),
            (1, Hostile.Select(v => $"\"Unknown\":{v}")),
            (1, Gen.OneOf(fields.ToArray()).SelectMany(f => Value(f).Select(v => $"\"{f.Name.ToLowerInvariant()}\":{v}"))),
            (1, Gen.OneOf(fields.ToArray()).SelectMany(f => Value(f).Array[2].Select(v => $"\"{f.Name}\":{v[0]},\"{f.Name}\":{v[1]}"))));
        return Gen.Select(members.Aggregate(Gen.Const(new List<string>()), (all, member) => all.SelectMany(list => member.Select(m => new List<string>(list) { m }))), extra,
            (parts, more) => "{" + string.Join(",", parts.Append(more).Where(p => p.Length > 0)) + "}");
    }

    /// <summary>Bytes made from a JSON text: as it is, or broken (truncated, a byte flipped, invalid UTF-8, a BOM, not an object).</summary>
    private static Gen<byte[]> BodyOf(Gen<string> json) => Gen.Frequency(
        (16, json.Select(Encoding.UTF8.GetBytes)),
        (1, json.SelectMany(j => Gen.Int[0, Math.Max(0, j.Length - 1)].Select(n => Encoding.UTF8.GetBytes(j[..n])))),
        (1, json.SelectMany(j => Gen.Int[0, Math.Max(0, j.Length - 1)].SelectMany(n => Gen.Byte.Select(b =>
        {
            var bytes = Encoding.UTF8.GetBytes(j);
            bytes[Math.Min(n, bytes.Length - 1)] = b;
            return bytes;
        })))),
        (1, json.Select(j => Encoding.UTF8.GetBytes(j).Concat(new byte[] { 0xC3, 0x28, 0xFF, 0xFE }).Prepend((byte)'{').ToArray())),
        (1, json.Select(j => new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(j)).ToArray())),
        (1, Hostile.Select(Encoding.UTF8.GetBytes)),
        (1, Gen.Const(Array.Empty<byte>())));

    /// <summary>The test server's body limit is 64 KiB; a larger body is answered 413 before it is read (tested on its own).</summary>
    private static readonly Gen<Request> Requests = Gen.Frequency(
        (5, Gen.OneOf(Clients).SelectMany(client => BodyOf(ObjectOf(Own.SelectMany(s => s.Fields), 0.5))
            .Select(body => new Request(HttpMethod.Put, client, "/" + client, body)))),
        (5, Gen.Select(Gen.OneOf(Clients), Gen.OneOf(Collections), Gen.OneOf(Items)).SelectMany((client, section, item) =>
            BodyOf(ObjectOf(section.Fields.Where(f => f.Name != "IntegrationId"), 0.8))
                .Select(body => new Request(HttpMethod.Put, client, $"/{client}/{section.CollectionName}/{Uri.EscapeDataString(item)}", body)))),
        (1, Gen.OneOf(Clients).SelectMany(client => BodyOf(ObjectOf(Own.SelectMany(s => s.Fields), 0.5).Select(o => o == "{}" ? $"{{\"IntegrationId\":\"{client}\"}}" : $"{{\"IntegrationId\":\"{client}\",{o[1..]}"))
            .Select(body => new Request(HttpMethod.Post, client, "", body))))).Where(r => r.Body.Length < 60_000);
}
