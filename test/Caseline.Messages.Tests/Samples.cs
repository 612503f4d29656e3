using System.Text;
using Caseline.Messages.Validation;

namespace Caseline.Messages.Tests;

/// <summary>Valid details for every section, and a seeded generator of random valid ones.</summary>
internal static class Samples
{
    public static readonly DateTimeOffset OccurredOn = new(2019, 2, 15, 14, 52, 23, TimeSpan.Zero);

    public static PersonalDetails Personal => new(
        "Johnathan", "Farmer", new DateOnly(1980, 5, 28), "Mountain Standard Time", "Male", "Caucasian",
        "High - Violence", "High - Mental Health");

    public static AccountDetails Account => new(AccountDetails.Active, "North Caseload", "officer@county.org");

    public static EmailDetails Email => new("j.farmer@example.org");

    public static AddressDetails Address => new("ADDR-1", "Home", "123 Main St, Denver, CO 80202");

    public static ContactDetails Contact => new("PH-1", "MobilePhone", "+1 (303) 555-0100");

    public static VehicleDetails Vehicle => new("VEH-1", "Ford", "F-150", "2016", "Blue", "ABC-1234");

    public static EmploymentDetails Employment => new(
        "EMP-1", "Acme Corp", "Welder", "1 Industrial Way", "303-555-0199", 23.75m, "Hour", "Outdoor");

    public static CaseDetails Case => new("2019-CR-0042", "2019-CR-0042", new DateOnly(2019, 1, 7), "Open",
    [
        new Offense("Burglary", new DateOnly(2018, 12, 24), "C.R.S. 18-4-203", "Felony", true),
        new Offense("Trespass", new DateOnly(2018, 12, 24), "C.R.S. 18-4-504", "Misdemeanor", false),
    ]);

    public static ProtectiveOrderDetails ProtectiveOrder => new(
        "PO-1", "Restraining", new DateOnly(2019, 2, 1), new DateOnly(2020, 2, 1), "Jane Farmer", false, true,
        "Jane Farmer", "1400 Elm St", "Silver sedan", "55 Oak Ave", "Supervised visits only");

    public static IReadOnlyList<SectionDetails> OnePerSection =>
        [Personal, Account, Email, Address, Contact, Vehicle, Employment, Case, ProtectiveOrder];

    public static ClientMessage Message(SectionDetails details, ChangeVerb verb = ChangeVerb.Updated) =>
        ClientMessage.Create("EX123456", details, verb, OccurredOn, "officer@county.org");

    /// <summary>Random valid details of every section, reproducible from the seed.</summary>
    public static SectionDetails Random(Random random)
    {
        var gen = new Generator(random);
        return random.Next(9) switch
        {
            0 => new PersonalDetails(gen.Text(100, required: true), gen.Text(100, required: true), gen.Date(latest: new DateOnly(2020, 1, 1)),
                gen.Pick(null, "Mountain Standard Time", "Eastern Standard Time", "UTC", "Tokyo Standard Time"),
                gen.Text(50), gen.Text(50), gen.Text(100), gen.Text(100)),
            1 => new AccountDetails(gen.Pick(null, "Active", "Inactive"), gen.Text(100), gen.Text(254)),
            2 => new EmailDetails(gen.Pick(null, "a@b.co", "first.last+tag@sub.example.org", "o'brien@example.org")),
            3 => new AddressDetails(gen.Id(), gen.Pick("Home", "Work", "Other")!, gen.Text(500, required: true)),
            4 => new ContactDetails(gen.Id(), gen.Pick("HomePhone", "MobilePhone", "OtherPhone")!, gen.Text(50, required: true)),
            5 => new VehicleDetails(gen.Id(), gen.Text(50, required: true), gen.Text(50), gen.Pick(null, "1999", "2016", "2025"), gen.Text(30), gen.Text(20)),
            6 => new EmploymentDetails(gen.Id(), gen.Text(200, required: true), gen.Text(100), gen.Text(500), gen.Text(50),
                gen.Pick<decimal?>(null, 0m, 7.25m, 15.5m, 52000m, 999_999_999.99m, 1_000_000_000m, 0.0001m), gen.Text(30), gen.Text(200)),
            7 => new CaseDetails(gen.Id(), gen.Text(64, required: true), gen.Date(), gen.Text(50),
                ValueList.From(Enumerable.Range(0, random.Next(4)).Select(_ =>
                    new Offense(gen.Text(200, required: true), gen.Date(), gen.Text(100), gen.Text(100), gen.Pick<bool?>(null, true, false))))),
            _ => RandomOrder(gen),
        };
    }

    private static ProtectiveOrderDetails RandomOrder(Generator gen)
    {
        var effective = gen.Date();
        var expiration = effective is { } e && gen.Chance() && e.DayNumber + 1000 <= Rules.LatestDate.DayNumber ? e.AddDays(gen.Next(1000)) : (DateOnly?)null;
        return new ProtectiveOrderDetails(gen.Id(), gen.Text(100, required: true), effective, expiration, gen.Text(500),
            gen.Pick<bool?>(null, true, false), gen.Pick<bool?>(null, true, false), gen.Text(500), gen.Text(500), gen.Text(500), gen.Text(500), gen.Text(500));
    }

    /// <summary>Odd but valid text: many scripts, emoji, quotes and backslashes, blank, and lengths up to the limit.</summary>
    private sealed class Generator(Random random)
    {
        private static readonly string[] Pieces =
        [
            "José", "Zoë", "O'Brien", "Nguyễn", "李小龙", "Мария", "محمد", "میخواهم", "שָׁלוֹם", "Ελένη", "अनुष्का", "😀", "👨‍👩‍👧",
            "\"quoted\"", "back\\slash", "a/b", "100%", "#1", "&", "+", " ", "-", "Straße", "ﬁ", "\u00A0",
        ];

        public int Next(int max) => random.Next(max);

        public bool Chance() => random.Next(2) == 0;

        public T? Pick<T>(params T?[] values) => values[random.Next(values.Length)];

        public string Id()
        {
            const string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:~";
            var length = random.Next(4) == 0 ? 64 : random.Next(1, 20);
            return string.Create(length, random, (span, r) =>
            {
                for (var i = 0; i < span.Length; i++)
                {
                    span[i] = chars[r.Next(chars.Length)];
                }
            });
        }

        public DateOnly? Date(DateOnly? latest = null)
        {
            if (random.Next(5) == 0)
            {
                return null;
            }

            if (random.Next(5) == 0)
            {
                return new DateOnly(2020, 2, 29);
            }

            var first = new DateOnly(1900, 1, 1).DayNumber;
            var last = (latest ?? new DateOnly(2199, 12, 31)).DayNumber;
            return DateOnly.FromDayNumber(random.Next(first, last + 1));
        }

        public string? Text(int maxLength, bool required = false)
        {
            switch (random.Next(required ? 6 : 8))
            {
                case 0:
                    return new string('x', maxLength);
                case 1:
                    return string.Concat(Enumerable.Repeat("é", maxLength));
                case 2:
                    return string.Concat(Enumerable.Repeat("😀", maxLength)); // code points, not UTF-16 units, count
                case 6:
                    return null;
                case 7:
                    return "";
            }

            var text = new StringBuilder();
            var target = random.Next(1, Math.Min(maxLength, 40) + 1);
            while (Rules.CodePoints(text.ToString()) < target)
            {
                text.Append(Pieces[random.Next(Pieces.Length)]);
            }

            var value = text.ToString();
            while (Rules.CodePoints(value) > maxLength)
            {
                value = value[..^(char.IsLowSurrogate(value[^1]) ? 2 : 1)];
            }

            return string.IsNullOrWhiteSpace(value) ? "x" : value;
        }
    }
}
