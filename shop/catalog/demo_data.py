"""The demo catalog and accounts of Harbor & Hall, as plain data (no database code).

`shop.seed.seed_demo` loads it; `scripts/make_demo_assets.py` draws its pictures and spec sheets.
Every text is ASCII, so that it also fits the core PDF fonts.

Shapes:
  CATEGORIES: dicts with slug, name, tagline, description, attributes (SpecAttribute fields).
  PRODUCTS: dicts with slug, category (slug), name, brand, summary, description,
    warranty_months, has_serial_numbers, created_days_ago, images (how many pictures),
    spec_sheet (bool), art (furniture and expeditions: what to draw), specs (attribute code ->
    value; numbers as strings for Decimal, dates ISO), variants (Variant fields; amounts in
    integer cents), delivery (DeliveryOption fields: method, price_cents, extra_weeks, note; one
    per method). A product that lists no delivery gets its category's default, priced by size
    (see DELIVERY_DEFAULTS at the end).
  STAFF: every demo account (the buyer first), with password, role and profile fields.
"""

from decimal import Decimal
from inspect import cleandoc

STORE_NAME = "Harbor & Hall"

BUYER_PASSWORD = "buyer-demo-pass"  # noqa: S105  (published demo credentials)
STAFF_PASSWORD = "staff-demo-pass"  # noqa: S105


def _text(block: str) -> str:
    """Paragraphs written as wrapped lines, separated by blank lines, unwrapped."""
    paragraphs = cleandoc(block).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def _usd(dollars: int) -> int:
    """Whole dollars as integer cents."""
    return dollars * 100


def _variant(
    sku: str,
    name: str,
    dollars: int,
    *,
    cost_pct: int = 72,
    stock: int = 0,
    location: str = "",
    weeks: tuple[int, int] = (2, 4),
    made_to_order: bool = False,
    build_weeks: int = 0,
) -> dict:
    price_cents = _usd(dollars)
    return {
        "sku": sku,
        "name": name,
        "price_cents": price_cents,
        "cost_cents": price_cents * cost_pct // 100,
        "stock_on_hand": stock,
        "stock_location": location,
        "delivery_weeks_min": weeks[0],
        "delivery_weeks_max": weeks[1],
        "made_to_order": made_to_order,
        "build_weeks": build_weeks,
    }


def _attr(
    code: str,
    label: str,
    kind: str,
    unit: str = "",
    decimals: int = 0,
    filterable: bool | None = None,
) -> dict:
    return {
        "code": code,
        "label": label,
        "kind": kind,
        "unit": unit,
        "decimals": decimals,
        # Text is shown and searched, never filtered.
        "filterable": (kind != "text") if filterable is None else filterable,
    }


def _option(method: str, dollars: int, note: str, extra_weeks: int = 0) -> dict:
    """One way to deliver a product: a DeliveryMethod value, its price and extra lead time."""
    return {
        "method": method,
        "price_cents": _usd(dollars),
        "extra_weeks": extra_weeks,
        "note": note,
    }


ANNAPOLIS = "Annapolis yard"
PORTLAND = "Portland showroom"
PORTLAND_MARINA = "Portland marina"
SEATTLE = "Seattle warehouse"

CATEGORIES: list[dict] = [
    {
        "slug": "sailboats",
        "name": "Sailboats",
        "tagline": "Cruisers, daysailers and a few boats built for high latitudes.",
        "description": _text(
            """
            Boats we have sailed ourselves, from a trailerable pocket cruiser to a 46-foot
            bluewater sloop. Every new boat is commissioned at our Annapolis yard or on the dock
            in Portland, and every used boat comes with a fresh survey you can read before you
            talk to anyone.
            """
        ),
        "attributes": [
            _attr("length", "Length overall", "number", "ft", 1),
            _attr("beam", "Beam", "number", "ft", 1),
            _attr("draft", "Draft", "number", "ft", 1),
            _attr("displacement", "Displacement", "number", "lb"),
            _attr("engine_hp", "Engine power", "number", "hp"),
            _attr("berths", "Berths", "number"),
            _attr("hull_material", "Hull material", "choice"),
            # A choice rather than a number, so it reads "2026" and not "2,026".
            _attr("model_year", "Model year", "choice"),
        ],
    },
    {
        "slug": "pianos",
        "name": "Grand pianos",
        "tagline": "Grands from six workshops, voiced in our Portland showroom.",
        "description": _text(
            """
            Parlor grands to a full concert instrument, new and carefully rebuilt. Each piano is
            regulated and voiced by our technician before it leaves the showroom, and the first
            two tunings in your home are on us.
            """
        ),
        "attributes": [
            _attr("length_cm", "Length", "number", "cm"),
            _attr("weight_kg", "Weight", "number", "kg"),
            _attr("finish", "Standard finish", "choice"),
            _attr("action", "Action", "choice"),
            _attr("keys", "Keys", "number"),
            _attr("maker_country", "Made in", "choice"),
        ],
    },
    {
        "slug": "e-bikes",
        "name": "E-bikes",
        "tagline": "Commuters, cargo bikes and trail bikes that replace a car trip or two.",
        "description": _text(
            """
            Electric bikes with motors and batteries from suppliers that will still stock parts
            in ten years. Ranges are what our own riders got on mixed routes with moderate
            assist, not the best case on the box.
            """
        ),
        "attributes": [
            _attr("range_mi", "Battery range", "number", "mi"),
            _attr("motor_w", "Motor power", "number", "W"),
            _attr("weight_lb", "Weight", "number", "lb", 1),
            _attr("frame", "Frame", "choice"),
            _attr("battery_wh", "Battery", "number", "Wh"),
            _attr("top_speed_mph", "Assisted top speed", "number", "mph"),
            _attr("bike_class", "Class", "choice"),
        ],
    },
    {
        "slug": "expeditions",
        "name": "Expedition trips",
        "tagline": "Small-group journeys with outfitters we have travelled with.",
        "description": _text(
            """
            Polar voyages, long treks and river trips run by outfitters we know by name. Prices
            are per person and include guiding, permits, food and lodging on the trip; flights
            to the starting point are yours to book, and we are glad to help.
            """
        ),
        "attributes": [
            _attr("duration_days", "Duration", "number", "days"),
            _attr("departure_date", "Next departure", "date"),
            _attr("group_max", "Group size, max", "number", "guests"),
            _attr("difficulty", "Difficulty", "choice"),
            _attr("region", "Region", "choice"),
            _attr("lodging", "Lodging", "text"),
        ],
    },
    {
        "slug": "furniture",
        "name": "Designer furniture",
        "tagline": "Pieces from small workshops, made to be repaired rather than replaced.",
        "description": _text(
            """
            Chairs, sofas, tables and storage from five workshops in Europe and North America.
            Most pieces are built to order in the upholstery or wood you choose; the ones on our
            showroom floor can be in your home in a week or two.
            """
        ),
        "attributes": [
            _attr("width_cm", "Width", "number", "cm"),
            _attr("depth_cm", "Depth", "number", "cm"),
            _attr("height_cm", "Height", "number", "cm"),
            _attr("material", "Main material", "choice"),
            _attr("designer", "Designer", "text"),
            _attr("lead_time_weeks", "Usual lead time", "number", "weeks"),
        ],
    },
]

# Alt texts of the pictures, by category and picture number; the asset script draws the same
# views in the same order.
IMAGE_VIEWS: dict[str, list[str]] = {
    "sailboats": ["{name} under sail", "{name} reaching at dusk", "{name} at anchor"],
    "pianos": [
        "{name} from the side with the lid open",
        "{name} seen from above",
        "Keyboard of the {name}",
    ],
    "e-bikes": ["{name} side view", "{name} on a city street", "{name} on a gravel path"],
    "expeditions": [
        "Landscape on the {name} route",
        "Evening light on the {name} route",
        "Nightfall on the {name} route",
    ],
    "furniture": [
        "{name} in a sunlit room",
        "{name} against a dark wall",
        "{name}, closer view",
    ],
}

PRODUCTS: list[dict] = [
    # ------------------------------------------------------------------ sailboats
    {
        "slug": "aura-38",
        "category": "sailboats",
        "name": "Tidewright Aura 38",
        "brand": "Tidewright Yachts",
        "summary": "A 38-foot cruising sloop that two people can sail, with a galley built for "
        "real cooking.",
        "description": _text(
            """
            The Aura 38 is the boat we point couples to when they want to cruise for a season,
            not a weekend. Every sail control comes back to the cockpit, the mainsheet sits
            within reach of the helm, and the self-tacking jib means a tack is a turn of the
            wheel. Below, there are two proper double cabins, a head with a separate shower and
            a U-shaped galley where you can brace yourself at sea.

            Tidewright lays the hull up in vinyl-ester resin with a solid glass bottom and a
            bonded grid; the keel bolts are accessible and the rudder bearings are a common size.
            Those are unglamorous choices that make the boat easy to keep for twenty years.

            She is not a light-air boat. Under about eight knots of wind she wants the optional
            code zero or the engine, and the 6.2-foot draft keeps her out of some shallow
            anchorages on the Chesapeake. A 5.1-foot shoal keel is available on made-to-order
            boats at no extra cost; ask your rep about the trade-off upwind.
            """
        ),
        "warranty_months": 60,
        "has_serial_numbers": True,
        "created_days_ago": 40,
        "images": 3,
        "spec_sheet": True,
        "specs": {
            "length": "38.4",
            "beam": "12.6",
            "draft": "6.2",
            "displacement": "17400",
            "engine_hp": "40",
            "berths": "6",
            "hull_material": "Fiberglass",
            "model_year": "2026",
        },
        "variants": [
            _variant(
                "SB-AURA38-STD",
                "Standard",
                289_000,
                cost_pct=76,
                stock=1,
                location=ANNAPOLIS,
                weeks=(3, 6),
            ),
            _variant(
                "SB-AURA38-BLU",
                "Bluewater package",
                316_500,
                cost_pct=75,
                made_to_order=True,
                build_weeks=16,
                weeks=(2, 4),
            ),
            _variant(
                "SB-AURA38-PRF",
                "Performance package",
                309_800,
                cost_pct=75,
                made_to_order=True,
                build_weeks=16,
                weeks=(2, 4),
            ),
        ],
    },
    {
        "slug": "aura-46",
        "category": "sailboats",
        "name": "Tidewright Aura 46",
        "brand": "Tidewright Yachts",
        "summary": "Tidewright's bluewater flagship: three cabins, a deep cockpit and tankage "
        "for long passages.",
        "description": _text(
            """
            The Aura 46 is built for owners who plan to cross oceans and want a boat that stays
            comfortable while they do it. Tankage is generous (150 gallons of water, 80 of
            diesel), the cockpit is deep and well protected under a hard dodger, and the
            watertight crash bulkhead forward is standard, not an option.

            Each boat is built to order in about six months. Choose between the standard layout
            with two aft cabins or the owner's layout, which trades one of them for a large
            forward stateroom and a workshop locker. Your rep will send you the build schedule
            and photos from the yard at every stage.

            She needs a proper crew or a good autopilot and some experience; at 29,800 pounds
            she is a lot of boat to dock single-handed, even with the bow thruster. Slip and
            haul-out costs rise steeply past 45 feet, and we would rather you know that now.
            """
        ),
        "warranty_months": 60,
        "has_serial_numbers": True,
        "created_days_ago": 12,
        "images": 3,
        "spec_sheet": True,
        # Too wide for an ordinary truck: freight is an oversize load.
        "delivery": [
            _option(
                "white_glove",
                9_500,
                "Delivered and commissioned at your marina, with a two-day sea trial aboard",
                extra_weeks=2,
            ),
            _option(
                "freight",
                6_000,
                "Oversize road load on a hydraulic trailer, with permits and escort cars",
                extra_weeks=2,
            ),
            _option("pickup", 0, "Sail away from the Annapolis yard after commissioning"),
        ],
        "specs": {
            "length": "46.3",
            "beam": "14.4",
            "draft": "7.0",
            "displacement": "29800",
            "engine_hp": "75",
            "berths": "8",
            "hull_material": "Fiberglass",
            "model_year": "2027",
        },
        "variants": [
            _variant(
                "SB-AURA46-STD",
                "Standard layout",
                384_000,
                cost_pct=77,
                made_to_order=True,
                build_weeks=26,
                weeks=(3, 6),
            ),
            _variant(
                "SB-AURA46-OWN",
                "Owner's layout",
                399_500,
                cost_pct=77,
                made_to_order=True,
                build_weeks=26,
                weeks=(3, 6),
            ),
        ],
    },
    {
        "slug": "larkhaven-31",
        "category": "sailboats",
        "name": "Larkhaven 31 Daysailer",
        "brand": "Larkhaven Yachts",
        "summary": "A long, low daysailer with a huge cockpit and a small cabin for the "
        "occasional night aboard.",
        "description": _text(
            """
            The Larkhaven 31 is for sailing, not for living aboard. Most of her length goes to
            a cockpit that seats eight, and the boat is light and narrow enough to be quick in
            the afternoon breeze. The cabin has a double berth, a sink and a portable toilet:
            fine for a night, not for a week.

            The two boats in stock differ only in trim. The classic trim package adds a teak
            cockpit sole, varnished coamings and a tan sail cover; it looks wonderful and it asks
            for a weekend of varnish every spring.
            """
        ),
        "warranty_months": 36,
        "has_serial_numbers": True,
        "created_days_ago": 95,
        "images": 3,
        "spec_sheet": False,
        "delivery": [
            _option(
                "white_glove",
                6_200,
                "Delivered and commissioned at your marina",
                extra_weeks=1,
            ),
            _option(
                "freight",
                3_800,
                "Trucked on a cradle to your yard or marina; launch and rigging are yours",
                extra_weeks=1,
            ),
            _option(
                "pickup",
                0,
                "Sail away from the Annapolis yard or the Portland marina, wherever your boat lies",
            ),
        ],
        "specs": {
            "length": "31.2",
            "beam": "9.8",
            "draft": "5.3",
            "displacement": "8900",
            "engine_hp": "15",
            "berths": "2",
            "hull_material": "Fiberglass",
            "model_year": "2026",
        },
        "variants": [
            _variant(
                "SB-LARK31-STD",
                "Standard",
                164_000,
                cost_pct=74,
                stock=2,
                location=ANNAPOLIS,
                weeks=(2, 4),
            ),
            _variant(
                "SB-LARK31-CLS",
                "Classic trim package",
                176_500,
                cost_pct=73,
                stock=1,
                location=PORTLAND_MARINA,
                weeks=(1, 3),
            ),
        ],
    },
    {
        "slug": "larkhaven-27",
        "category": "sailboats",
        "name": "Larkhaven 27 Pocket Cruiser",
        "brand": "Larkhaven Yachts",
        "summary": "A trailerable 27-footer with a keel-centerboard, sitting headroom and four "
        "real berths.",
        "description": _text(
            """
            At 8.5 feet wide the Larkhaven 27 tows on an ordinary road trailer without a permit,
            which turns one boat into a season of different lakes and coasts. With the board up
            she draws 4.1 feet and can be beached on a falling tide.

            The trade-offs are the usual ones for a trailer boat: sitting headroom only, an
            outboard in a well rather than an inboard diesel, and a motion that is lively in a
            short chop. For two adults and two children on a long weekend she is hard to beat.

            The package with trailer includes a galvanized tandem-axle trailer with surge brakes
            and a mast-raising pole; rigging from trailer to sailing takes two people about an
            hour once you know the routine, and we will show you the routine.
            """
        ),
        "warranty_months": 36,
        "has_serial_numbers": True,
        "created_days_ago": 210,
        "images": 2,
        "spec_sheet": False,
        "delivery": [
            _option(
                "white_glove",
                5_200,
                "Delivered and commissioned at your marina or launch ramp, rigging shown to you",
                extra_weeks=1,
            ),
            _option(
                "freight",
                2_800,
                "Towed to your driveway or ramp; on her own trailer if you bought the package",
                extra_weeks=1,
            ),
            _option("pickup", 0, "Sail away from the Portland marina, or tow her home yourself"),
        ],
        "specs": {
            "length": "27.0",
            "beam": "8.5",
            "draft": "4.1",
            "displacement": "5600",
            "engine_hp": "10",
            "berths": "4",
            "hull_material": "Fiberglass",
            "model_year": "2025",
        },
        "variants": [
            _variant(
                "SB-LARK27-STD",
                "Boat only",
                98_500,
                cost_pct=72,
                stock=3,
                location=PORTLAND_MARINA,
                weeks=(1, 3),
            ),
            _variant(
                "SB-LARK27-TRL",
                "With road trailer",
                109_900,
                cost_pct=72,
                stock=1,
                location=PORTLAND_MARINA,
                weeks=(1, 3),
            ),
        ],
    },
    {
        "slug": "cobble-sound-catboat-22",
        "category": "sailboats",
        "name": "Cobble Sound Catboat 22",
        "brand": "Cobble Sound Boatworks",
        "summary": "A wood-epoxy catboat built by hand in Maine: one sail, shallow draft, a "
        "cockpit like a living room.",
        "description": _text(
            """
            A catboat has one sail and one sheet, so there is almost nothing to do but steer.
            This one is cold-molded in cedar and epoxy by a four-person shop that builds about
            six boats a year, with a small diesel inboard and a bronze centerboard trunk.

            Every boat is built to order. Expect about four months for the standard boat and a
            little more with the bright-finished package, whose varnished cedar topsides are
            beautiful and need annual care. With the board up she floats in 2.2 feet of water.

            A catboat is not fast to windward and carries a lot of weather helm when
            over-canvassed; reef early. If you want a boat that points high, look at the
            Larkhaven 31 instead.
            """
        ),
        "warranty_months": 24,
        "has_serial_numbers": True,
        "created_days_ago": 150,
        "images": 2,
        "spec_sheet": False,
        "specs": {
            "length": "22.0",
            "beam": "10.0",
            "draft": "2.2",
            "displacement": "4400",
            "engine_hp": "18",
            "berths": "2",
            "hull_material": "Wood/epoxy",
            "model_year": "2026",
        },
        "variants": [
            _variant(
                "SB-CSCAT22-STD",
                "Painted topsides",
                86_000,
                cost_pct=78,
                made_to_order=True,
                build_weeks=16,
                weeks=(2, 3),
            ),
            _variant(
                "SB-CSCAT22-BRT",
                "Bright-finished package",
                94_500,
                cost_pct=78,
                made_to_order=True,
                build_weeks=18,
                weeks=(2, 3),
            ),
        ],
    },
    {
        "slug": "vesper-40",
        "category": "sailboats",
        "name": "Vesper 40 Performance Cruiser",
        "brand": "Vesper Line",
        "summary": "A carbon performance cruiser that sails at wind speed in a breeze and still "
        "has a proper galley.",
        "description": _text(
            """
            The Vesper 40 is infused in carbon and foam core, with a carbon rig and a deep
            bulb keel. She is quick, stiff and a joy to helm, and the interior is finished in
            light oak rather than stripped out.

            The 2026 production run is fully allocated, and the builder has not yet opened its
            2027 schedule, so we cannot take an order today. If you would like to be told the
            day hull slots open, ask a specialist to add you to the notice list; there is no
            deposit and no obligation.

            Carbon boats are expensive to repair after a hard grounding, and insurance reflects
            that. A 7.5-foot draft also limits where you can keep and sail her.
            """
        ),
        "warranty_months": 60,
        "has_serial_numbers": True,
        "created_days_ago": 60,
        "images": 3,
        "spec_sheet": True,
        "specs": {
            "length": "40.0",
            "beam": "12.9",
            "draft": "7.5",
            "displacement": "13200",
            "engine_hp": "30",
            "berths": "6",
            "hull_material": "Carbon composite",
            "model_year": "2026",
        },
        "variants": [
            _variant("SB-VESP40-STD", "Standard", 365_000, cost_pct=79, weeks=(4, 8)),
        ],
    },
    {
        "slug": "kittiwake-34",
        "category": "sailboats",
        "name": "Kittiwake 34 Aluminum Explorer",
        "brand": "Marrow & Pike",
        "summary": "An aluminum centerboard sloop for high latitudes and shallow coasts, built "
        "to order.",
        "description": _text(
            """
            The Kittiwake 34 is welded from marine aluminum plate, with an integral centerboard
            and twin rudders so she can dry out upright on a beach. An aluminum hull shrugs off
            ice and rocks that would hole a fiberglass boat, which is why it is the usual choice
            for Patagonia, Greenland and the Inside Passage.

            The high-latitude package adds a diesel cabin heater, a doghouse with an inside
            steering position, extra insulation and a storm trysail track. Most owners who
            head north order it.

            Aluminum needs attention to galvanic corrosion: bronze fittings, the wrong antifouling
            or a faulty shore-power cable can do real damage. The builder supplies a clear
            maintenance guide and we go through it with every owner at handover.
            """
        ),
        "warranty_months": 36,
        "has_serial_numbers": True,
        "created_days_ago": 25,
        "images": 3,
        "spec_sheet": True,
        "specs": {
            "length": "34.5",
            "beam": "11.8",
            "draft": "2.8",
            "displacement": "15900",
            "engine_hp": "40",
            "berths": "5",
            "hull_material": "Aluminum",
            "model_year": "2027",
        },
        "variants": [
            _variant(
                "SB-KITT34-STD",
                "Standard",
                247_000,
                cost_pct=76,
                made_to_order=True,
                build_weeks=22,
                weeks=(3, 6),
            ),
            _variant(
                "SB-KITT34-HLT",
                "High-latitude package",
                271_500,
                cost_pct=76,
                made_to_order=True,
                build_weeks=24,
                weeks=(3, 6),
            ),
        ],
    },
    {
        "slug": "kittiwake-41",
        "category": "sailboats",
        "name": "Kittiwake 41 Aluminum Explorer",
        "brand": "Marrow & Pike",
        "summary": "The larger Kittiwake: a lifting-keel aluminum cutter for long voyages with "
        "four aboard.",
        "description": _text(
            """
            The Kittiwake 41 takes the 34's welded aluminum hull, integral centerboard and twin
            rudders and adds a second cabin, a cutter rig with a staysail for heavy weather,
            and tankage for a month away from a fuel dock. She still draws only 3.1 feet with
            the board up and can sit upright on a drying mooring.

            Hull number 7 is finished and afloat at our Annapolis yard after its owner's plans
            changed; it has the high-latitude package and about forty engine hours of sea
            trials. Further boats are built to order in about seven months.

            The same cautions as the 34 apply, only more so: aluminum wants attention to
            galvanic corrosion, and an unpainted hull is a look not everyone loves at the dock.
            """
        ),
        "warranty_months": 36,
        "has_serial_numbers": True,
        "created_days_ago": 18,
        "images": 3,
        "spec_sheet": False,
        "specs": {
            "length": "41.3",
            "beam": "13.5",
            "draft": "3.1",
            "displacement": "24600",
            "engine_hp": "60",
            "berths": "6",
            "hull_material": "Aluminum",
            "model_year": "2026",
        },
        "variants": [
            _variant(
                "SB-KITT41-HLT",
                "High-latitude package",
                352_000,
                cost_pct=77,
                stock=1,
                location=ANNAPOLIS,
                weeks=(3, 6),
            ),
            _variant(
                "SB-KITT41-STD",
                "Standard",
                328_500,
                cost_pct=77,
                made_to_order=True,
                build_weeks=30,
                weeks=(3, 6),
            ),
        ],
    },
    {
        "slug": "aura-38-2019-brokerage",
        "category": "sailboats",
        "name": "Tidewright Aura 38 (2019, pre-owned)",
        "brand": "Tidewright Yachts",
        "summary": "One owner, fresh survey, new standing rigging in 2024: a well-kept Aura 38 "
        "at a used-boat price.",
        "description": _text(
            """
            This 2019 Aura 38 was sailed on the Chesapeake by one owner and hauled every winter.
            The engine has 1,850 hours with service records, the standing rigging was replaced
            in 2024 and the sails date from 2022. The October survey is available from your rep
            in full, including the findings below.

            The surveyor noted gelcoat crazing on the foredeck around the windlass, a weeping
            port in the forward cabin (resealed since), and original batteries that are near the
            end of their life. None of it is structural; all of it is reflected in the price.

            Pre-owned boats carry a six-month warranty from us on the engine, drive train and
            electrical system, on top of anything that remains of the builder's hull warranty.
            """
        ),
        "warranty_months": 6,
        "has_serial_numbers": True,
        "created_days_ago": 8,
        "images": 2,
        "spec_sheet": False,
        "specs": {
            "length": "38.4",
            "beam": "12.6",
            "draft": "6.2",
            "displacement": "17400",
            "engine_hp": "40",
            "berths": "6",
            "hull_material": "Fiberglass",
            "model_year": "2019",
        },
        "variants": [
            _variant(
                "SB-AURA38-2019",
                "As surveyed",
                212_000,
                cost_pct=80,
                stock=1,
                location=ANNAPOLIS,
                weeks=(2, 5),
            ),
        ],
    },
    {
        "slug": "larkhaven-35",
        "category": "sailboats",
        "name": "Larkhaven 35 Coastal Cruiser",
        "brand": "Larkhaven Yachts",
        "summary": "A friendly 35-footer for coastal cruising: two cabins, an easy rig and a "
        "draft that fits most anchorages.",
        "description": _text(
            """
            The Larkhaven 35 sits between the daysailer and a serious passage-maker. She has
            two double cabins, a good chart table and a fractional rig with a small jib, so
            tacking is easy and the sail plan is quick to reduce when it blows.

            The cruising package adds a bimini and dodger, a larger battery bank with solar, a
            windlass and a cockpit table, which is what most people add anyway. One boat with
            the package is commissioned and waiting in Annapolis; standard boats are built to
            order in about three months.
            """
        ),
        "warranty_months": 36,
        "has_serial_numbers": True,
        "created_days_ago": 120,
        "images": 3,
        "spec_sheet": False,
        "specs": {
            "length": "35.1",
            "beam": "11.5",
            "draft": "5.9",
            "displacement": "12600",
            "engine_hp": "30",
            "berths": "6",
            "hull_material": "Fiberglass",
            "model_year": "2026",
        },
        "variants": [
            _variant(
                "SB-LARK35-STD",
                "Standard",
                219_000,
                cost_pct=74,
                made_to_order=True,
                build_weeks=12,
                weeks=(2, 4),
            ),
            _variant(
                "SB-LARK35-CRU",
                "Cruising package",
                238_400,
                cost_pct=74,
                stock=1,
                location=ANNAPOLIS,
                weeks=(2, 4),
            ),
        ],
    },
    # ------------------------------------------------------------------ pianos
    {
        "slug": "adler-voss-212",
        "category": "pianos",
        "name": "Adler & Voss Model 212",
        "brand": "Adler & Voss",
        "summary": "A seven-foot grand with a singing treble and a bass that fills a large "
        "room without shouting.",
        "description": _text(
            """
            The Model 212 is the grand we recommend most often to serious players with a room
            of about 400 square feet or more. Adler & Voss still builds the rim from laminated
            hard maple in a single press, fits a solid spruce soundboard and hangs the hammers
            by hand in its workshop outside Hamburg.

            The polished ebony instrument in our showroom has been regulated and voiced by our
            technician; you are welcome to book an hour alone with it. Other finishes are built
            to order in about three to four months, and walnut takes a little longer because
            the veneers are matched for each case.

            A piano of this size needs stable humidity. We include a humidity control system in
            the price and install it at delivery; in a very dry climate, plan on checking it
            monthly in winter.
            """
        ),
        "warranty_months": 120,
        "has_serial_numbers": True,
        "created_days_ago": 70,
        "images": 3,
        "spec_sheet": True,
        "specs": {
            "length_cm": "212",
            "weight_kg": "395",
            "finish": "Polished ebony",
            "action": "Wood, double escapement",
            "keys": "88",
            "maker_country": "Germany",
        },
        "variants": [
            _variant(
                "PN-AV212-PEB",
                "Polished ebony",
                118_000,
                cost_pct=68,
                stock=1,
                location=PORTLAND,
                weeks=(2, 3),
            ),
            _variant(
                "PN-AV212-SEB",
                "Satin ebony",
                118_000,
                cost_pct=68,
                made_to_order=True,
                build_weeks=14,
                weeks=(2, 3),
            ),
            _variant(
                "PN-AV212-PWH",
                "Polished white",
                124_500,
                cost_pct=68,
                made_to_order=True,
                build_weeks=14,
                weeks=(2, 3),
            ),
            _variant(
                "PN-AV212-WAL",
                "Satin walnut",
                132_000,
                cost_pct=68,
                made_to_order=True,
                build_weeks=16,
                weeks=(2, 3),
            ),
        ],
    },
    {
        "slug": "adler-voss-278",
        "category": "pianos",
        "name": "Adler & Voss Model 278 Concert Grand",
        "brand": "Adler & Voss",
        "summary": "A full concert grand for halls, schools and very large rooms; built to "
        "order and voiced to the room.",
        "description": _text(
            """
            Nine feet of piano with the power to carry over an orchestra and the control to
            whisper in a recital. The Model 278 is built to order; once the case is finished,
            the workshop invites the buyer (or the buyer's pianist) to Hamburg to choose the
            voicing before the piano ships. Travel is at your expense, and optional.

            In a typical living room a concert grand is simply too loud and the room too small
            for the bass to develop. If your room is under about 700 square feet, the Model 212
            will likely sound better in it; your rep will ask about the room before anything
            else.
            """
        ),
        "warranty_months": 120,
        "has_serial_numbers": True,
        "created_days_ago": 300,
        "images": 3,
        "spec_sheet": True,
        "specs": {
            "length_cm": "278",
            "weight_kg": "480",
            "finish": "Polished ebony",
            "action": "Wood, double escapement",
            "keys": "88",
            "maker_country": "Germany",
        },
        "variants": [
            _variant(
                "PN-AV278-PEB",
                "Polished ebony",
                198_000,
                cost_pct=70,
                made_to_order=True,
                build_weeks=20,
                weeks=(3, 4),
            ),
        ],
    },
    {
        "slug": "adler-voss-170",
        "category": "pianos",
        "name": "Adler & Voss Model 170",
        "brand": "Adler & Voss",
        "summary": "The smallest Adler & Voss grand: a real grand action and tone in a "
        "5-foot-7 footprint.",
        "description": _text(
            """
            The Model 170 shares its action and hammers with its larger siblings, so it plays
            like a fine grand even if the shorter strings give a less expansive bass. It fits a
            room of about 250 square feet comfortably.

            Two polished ebony instruments are in the showroom and can be delivered in two or
            three weeks. The polished white version is built to order.
            """
        ),
        "warranty_months": 120,
        "has_serial_numbers": True,
        "created_days_ago": 180,
        "images": 2,
        "spec_sheet": False,
        "specs": {
            "length_cm": "170",
            "weight_kg": "320",
            "finish": "Polished ebony",
            "action": "Wood, double escapement",
            "keys": "88",
            "maker_country": "Germany",
        },
        "variants": [
            _variant(
                "PN-AV170-PEB",
                "Polished ebony",
                72_000,
                cost_pct=67,
                stock=2,
                location=PORTLAND,
                weeks=(2, 3),
            ),
            _variant(
                "PN-AV170-PWH",
                "Polished white",
                76_500,
                cost_pct=67,
                made_to_order=True,
                build_weeks=12,
                weeks=(2, 3),
            ),
        ],
    },
    {
        "slug": "hollis-rowe-185",
        "category": "pianos",
        "name": "Hollis & Rowe Parlor Grand 185",
        "brand": "Hollis & Rowe",
        "summary": "An American parlor grand with a warm, round tone and a case in satin ebony "
        "or polished mahogany.",
        "description": _text(
            """
            Hollis & Rowe builds about two hundred pianos a year in Vermont. The Parlor Grand
            185 has the darker, rounder sound many people associate with older American grands,
            and a slightly heavier touch than the German instruments we carry.

            The satin ebony piano is in our showroom. The mahogany case is hand-rubbed and built
            to order; it is the one people stop to look at.

            Hollis & Rowe is a small company. Parts and service are handled directly by the
            factory and by us, rather than by a national dealer network, which has worked well
            for our customers but is worth knowing if you plan to move abroad.
            """
        ),
        "warranty_months": 120,
        "has_serial_numbers": True,
        "created_days_ago": 45,
        "images": 3,
        "spec_sheet": False,
        "specs": {
            "length_cm": "185",
            "weight_kg": "340",
            "finish": "Satin ebony",
            "action": "Wood, double escapement",
            "keys": "88",
            "maker_country": "USA",
        },
        "variants": [
            _variant(
                "PN-HR185-SEB",
                "Satin ebony",
                64_500,
                cost_pct=66,
                stock=1,
                location=PORTLAND,
                weeks=(2, 3),
            ),
            _variant(
                "PN-HR185-MAH",
                "Polished mahogany",
                69_800,
                cost_pct=66,
                made_to_order=True,
                build_weeks=12,
                weeks=(2, 3),
            ),
        ],
    },
    {
        "slug": "hollis-rowe-160",
        "category": "pianos",
        "name": "Hollis & Rowe Studio Grand 160",
        "brand": "Hollis & Rowe",
        "summary": "A compact grand for apartments and teaching studios, at the price of a "
        "good upright plus a little.",
        "description": _text(
            """
            At 160 cm the Studio Grand fits where most people assume only an upright will go,
            and it gives a student the repetition and control of a grand action. The tone is
            clear and focused rather than big.

            Short grands have a compromised bass by nature; the lowest octave is less rich than
            on a longer piano, and we would rather you hear that in person than discover it at
            home. Both finishes are in stock between Portland and Seattle.
            """
        ),
        "warranty_months": 120,
        "has_serial_numbers": True,
        "created_days_ago": 260,
        "images": 2,
        "spec_sheet": False,
        "specs": {
            "length_cm": "160",
            "weight_kg": "290",
            "finish": "Polished ebony",
            "action": "Wood, double escapement",
            "keys": "88",
            "maker_country": "USA",
        },
        "variants": [
            _variant(
                "PN-HR160-PEB",
                "Polished ebony",
                46_900,
                cost_pct=65,
                stock=3,
                location=SEATTLE,
                weeks=(1, 2),
            ),
            _variant(
                "PN-HR160-SEB",
                "Satin ebony",
                46_900,
                cost_pct=65,
                stock=1,
                location=PORTLAND,
                weeks=(1, 2),
            ),
        ],
    },
    {
        "slug": "brandl-wien-225",
        "category": "pianos",
        "name": "Brandl Wien 225 Extended",
        "brand": "Brandl Wien",
        "summary": "A Viennese grand with nine extra bass keys that deepen the sound of the "
        "whole instrument.",
        "description": _text(
            """
            Brandl extends the keyboard down to F below the usual low A. Few pieces use the
            extra keys, but their strings ring in sympathy with the rest of the piano and give
            it an unusually deep, dark resonance. The extra keys are covered in matte black so
            they do not confuse your eye.

            Every Brandl is built to order in Vienna; the ebony case takes about four months
            and figured walnut about five. We hold a showroom instrument for appointments from
            time to time; ask your rep when the next one is in Portland.

            The Viennese sound is distinctive: softer at the attack, with a long singing
            sustain. Some pianists love it and some find it too gentle for their repertoire.
            """
        ),
        "warranty_months": 120,
        "has_serial_numbers": True,
        "created_days_ago": 30,
        "images": 3,
        "spec_sheet": True,
        "specs": {
            "length_cm": "225",
            "weight_kg": "440",
            "finish": "Polished ebony",
            "action": "Wood, double escapement",
            "keys": "97",
            "maker_country": "Austria",
        },
        "variants": [
            _variant(
                "PN-BW225-PEB",
                "Polished ebony",
                176_000,
                cost_pct=70,
                made_to_order=True,
                build_weeks=16,
                weeks=(3, 4),
            ),
            _variant(
                "PN-BW225-WAL",
                "Figured walnut",
                189_000,
                cost_pct=70,
                made_to_order=True,
                build_weeks=20,
                weeks=(3, 4),
            ),
        ],
    },
    {
        "slug": "sorai-g190",
        "category": "pianos",
        "name": "Sorai G-190",
        "brand": "Sorai",
        "summary": "A precise, even-toned grand with a composite action that stays in "
        "regulation in changing climates.",
        "description": _text(
            """
            Sorai's composite action parts do not swell and shrink with humidity the way wood
            does, so the G-190 keeps its touch through a wet Portland winter and a dry summer
            with less attention than most grands. The tone is bright, clean and even across the
            keyboard, which many teachers and jazz players prefer.

            Some pianists find the sound a little uniform compared with the European
            instruments; it rewards a room with soft furnishings. Both finishes are in stock.
            """
        ),
        "warranty_months": 120,
        "has_serial_numbers": True,
        "created_days_ago": 15,
        "images": 3,
        "spec_sheet": False,
        "specs": {
            "length_cm": "190",
            "weight_kg": "330",
            "finish": "Polished ebony",
            "action": "Composite, double escapement",
            "keys": "88",
            "maker_country": "Japan",
        },
        "variants": [
            _variant(
                "PN-SORG190-PEB",
                "Polished ebony",
                52_000,
                cost_pct=69,
                stock=2,
                location=PORTLAND,
                weeks=(1, 2),
            ),
            _variant(
                "PN-SORG190-PWH",
                "Polished white",
                54_800,
                cost_pct=69,
                stock=1,
                location=SEATTLE,
                weeks=(1, 2),
            ),
        ],
    },
    {
        "slug": "dvorak-syn-194",
        "category": "pianos",
        "name": "Dvorak & Syn Salon 194",
        "brand": "Dvorak & Syn",
        "summary": "A Czech salon grand with a lyrical, colourful tone and a hand-rubbed case, "
        "built to order.",
        "description": _text(
            """
            Dvorak & Syn has built pianos in the same town in Bohemia for four generations. The
            Salon 194 has a responsive action and a tone with a lot of colour in the middle
            register, which suits Romantic repertoire and singers' accompanists.

            The showroom piano sold in October, and the workshop builds the next ones to order
            in about three months, a little longer for mahogany. Shipping from the Czech
            Republic is included; the piano is settled and tuned three times in its first year.
            """
        ),
        "warranty_months": 120,
        "has_serial_numbers": True,
        "created_days_ago": 90,
        "images": 2,
        "spec_sheet": False,
        "specs": {
            "length_cm": "194",
            "weight_kg": "345",
            "finish": "Polished ebony",
            "action": "Wood, double escapement",
            "keys": "88",
            "maker_country": "Czech Republic",
        },
        "variants": [
            _variant(
                "PN-DS194-PEB",
                "Polished ebony",
                58_500,
                cost_pct=66,
                made_to_order=True,
                build_weeks=12,
                weeks=(3, 4),
            ),
            _variant(
                "PN-DS194-MAH",
                "Polished mahogany",
                63_000,
                cost_pct=66,
                made_to_order=True,
                build_weeks=14,
                weeks=(3, 4),
            ),
        ],
    },
    {
        "slug": "marchetti-228",
        "category": "pianos",
        "name": "Marchetti 228",
        "brand": "Marchetti Pianoforti",
        "summary": "An Italian semi-concert grand with a brilliant treble and enormous dynamic "
        "range.",
        "description": _text(
            """
            Marchetti builds fewer than a hundred pianos a year near Venice, using soundboards
            of slow-grown red spruce from the same valley for each instrument. The 228 has a
            brilliant, projecting treble and a dynamic range that suits a recital room or a
            large open-plan home.

            One is in our showroom now. Its sound is bold; in a small or reverberant room it can
            be too much, and a softer voicing is something our technician can do for you after
            delivery at no charge.
            """
        ),
        "warranty_months": 120,
        "has_serial_numbers": True,
        "created_days_ago": 110,
        "images": 3,
        "spec_sheet": True,
        "specs": {
            "length_cm": "228",
            "weight_kg": "420",
            "finish": "Polished ebony",
            "action": "Wood, double escapement",
            "keys": "88",
            "maker_country": "Italy",
        },
        "variants": [
            _variant(
                "PN-MAR228-PEB",
                "Polished ebony",
                152_000,
                cost_pct=70,
                stock=1,
                location=PORTLAND,
                weeks=(2, 3),
            ),
        ],
    },
    {
        "slug": "hollis-rowe-1927-model-b",
        "category": "pianos",
        "name": "Hollis & Rowe Model B (1927, rebuilt)",
        "brand": "Hollis & Rowe",
        "summary": "A 1927 grand rebuilt in our partner shop with a new soundboard, action and "
        "strings.",
        "description": _text(
            """
            Our rebuilding partner in Oregon takes old Hollis & Rowe grands down to the rim and
            cast-iron plate, then fits a new soundboard, pinblock, strings, hammers and action.
            What comes back is a piano with a century-old case and the reliability of a new
            instrument, at about half the price of a new grand of its size.

            This one sold in November. Another Model B is on the bench and should be finished
            in spring 2027; ask a specialist if you would like first look. We do not take
            orders on rebuilds before they are done, because no two come out the same.
            """
        ),
        "warranty_months": 60,
        "has_serial_numbers": True,
        "created_days_ago": 165,
        "images": 2,
        "spec_sheet": False,
        "specs": {
            "length_cm": "211",
            "weight_kg": "380",
            "finish": "Satin ebony",
            "action": "Wood, double escapement",
            "keys": "88",
            "maker_country": "USA",
        },
        "variants": [
            _variant("PN-HR1927B-RB", "Rebuilt, satin ebony", 39_000, cost_pct=62, weeks=(2, 3)),
        ],
    },
    # ------------------------------------------------------------------ e-bikes
    {
        "slug": "fernway-commute-1",
        "category": "e-bikes",
        "name": "Fernway Commute 1",
        "brand": "Fernway Cycles",
        "summary": "A light, quiet commuter with a rear hub motor, fenders, lights and a rack "
        "already fitted.",
        "description": _text(
            """
            The Commute 1 is the bike we suggest to people replacing a daily drive of under
            fifteen miles each way. The rear hub motor is nearly silent, the belt drive needs no
            oil, and the integrated lights run off the main battery, so there is nothing to
            charge separately.

            On our test loop with hills and moderate assist, riders got about 45 miles per
            charge; expect less in cold weather or with heavy panniers. A hub motor also feels
            less natural on steep climbs than a mid-drive. The large frame is sold out until
            Fernway's spring shipment arrives.
            """
        ),
        "warranty_months": 24,
        "has_serial_numbers": True,
        "created_days_ago": 55,
        "images": 3,
        "spec_sheet": False,
        "specs": {
            "range_mi": "45",
            "motor_w": "250",
            "weight_lb": "49.5",
            "frame": "Diamond",
            "battery_wh": "500",
            "top_speed_mph": "20",
            "bike_class": "Class 1",
        },
        "variants": [
            _variant(
                "EB-FWC1-S",
                "Small frame",
                2_150,
                cost_pct=64,
                stock=4,
                location=SEATTLE,
                weeks=(1, 2),
            ),
            _variant(
                "EB-FWC1-M",
                "Medium frame",
                2_150,
                cost_pct=64,
                stock=5,
                location=PORTLAND,
                weeks=(1, 1),
            ),
            _variant("EB-FWC1-L", "Large frame", 2_150, cost_pct=64, weeks=(1, 2)),
        ],
    },
    {
        "slug": "fernway-commute-2-st",
        "category": "e-bikes",
        "name": "Fernway Commute 2 Step-Through",
        "brand": "Fernway Cycles",
        "summary": "A step-through commuter with a torque-sensing mid-drive and a choice of "
        "battery sizes.",
        "description": _text(
            """
            The step-through frame makes the Commute 2 easy to get on with a loaded rack, in a
            skirt, or with stiff knees. The mid-drive motor measures how hard you pedal and adds
            to it smoothly, which feels like riding a bike with strong legs rather than being
            pushed.

            The 625 Wh battery covers about 60 miles on our test loop; the 750 Wh option adds
            roughly ten more and a little over a pound. Both batteries lock to the frame and
            come out with the key for charging indoors.
            """
        ),
        "warranty_months": 24,
        "has_serial_numbers": True,
        "created_days_ago": 20,
        "images": 3,
        "spec_sheet": False,
        "specs": {
            "range_mi": "60",
            "motor_w": "250",
            "weight_lb": "55.0",
            "frame": "Step-through",
            "battery_wh": "625",
            "top_speed_mph": "20",
            "bike_class": "Class 1",
        },
        "variants": [
            _variant(
                "EB-FWC2ST-S-625",
                "Small, 625 Wh",
                2_890,
                cost_pct=65,
                stock=2,
                location=PORTLAND,
                weeks=(1, 1),
            ),
            _variant(
                "EB-FWC2ST-M-625",
                "Medium, 625 Wh",
                2_890,
                cost_pct=65,
                stock=3,
                location=SEATTLE,
                weeks=(1, 2),
            ),
            _variant(
                "EB-FWC2ST-M-750",
                "Medium, 750 Wh",
                3_190,
                cost_pct=65,
                stock=1,
                location=SEATTLE,
                weeks=(1, 2),
            ),
        ],
    },
    {
        "slug": "fernway-trail-750",
        "category": "e-bikes",
        "name": "Fernway Trail 750",
        "brand": "Fernway Cycles",
        "summary": "A full-suspension trail bike with 150 mm of travel and a 750 Wh battery "
        "for long days in the hills.",
        "description": _text(
            """
            The Trail 750 is built for singletrack: 150 mm of travel front and rear, a dropper
            post, four-piston brakes and tires wide enough for loose descents. The large battery
            is what lets you ride a second lap instead of turning home.

            Range on a mountain bike depends almost entirely on climbing; on our local loop with
            3,000 feet of climbing riders finished with about a third of the battery left. It is
            a heavy bike to lift onto a car rack, and you will want a rack rated for e-bikes.
            """
        ),
        "warranty_months": 24,
        "has_serial_numbers": True,
        "created_days_ago": 140,
        "images": 3,
        "spec_sheet": True,
        "specs": {
            "range_mi": "40",
            "motor_w": "500",
            "weight_lb": "54.0",
            "frame": "Full suspension",
            "battery_wh": "750",
            "top_speed_mph": "20",
            "bike_class": "Class 1",
        },
        "variants": [
            _variant(
                "EB-FWT750-S", "Small", 6_400, cost_pct=66, stock=1, location=SEATTLE, weeks=(1, 2)
            ),
            _variant(
                "EB-FWT750-M",
                "Medium",
                6_400,
                cost_pct=66,
                stock=2,
                location=PORTLAND,
                weeks=(1, 1),
            ),
            _variant(
                "EB-FWT750-L", "Large", 6_400, cost_pct=66, stock=2, location=SEATTLE, weeks=(1, 2)
            ),
        ],
    },
    {
        "slug": "loam-lever-longtail",
        "category": "e-bikes",
        "name": "Loam & Lever Longtail LT",
        "brand": "Loam & Lever",
        "summary": "A longtail cargo bike that carries two children or a week of groceries, "
        "with an optional second battery.",
        "description": _text(
            """
            The long rear rack on the LT takes two child seats, or a bench with running boards
            and a grab rail for older kids, or a pair of large panniers. The frame is rated for
            440 pounds total, rider included, and the hydraulic brakes are sized for it.

            With one 500 Wh battery expect around 35 miles of mixed riding with a load; the dual
            battery version roughly doubles that and is what we recommend if you live on a
            hill. The throttle makes starting from a stop with a full load much easier.

            It is a long bike: check that your garage or hallway has about seven feet of
            straight space, and that your building's elevator will take it.
            """
        ),
        "warranty_months": 24,
        "has_serial_numbers": True,
        "created_days_ago": 75,
        "images": 3,
        "spec_sheet": True,
        "specs": {
            "range_mi": "35",
            "motor_w": "750",
            "weight_lb": "68.0",
            "frame": "Cargo longtail",
            "battery_wh": "500",
            "top_speed_mph": "20",
            "bike_class": "Class 2",
        },
        "variants": [
            _variant(
                "EB-LLLT-500",
                "Single battery, 500 Wh",
                5_200,
                cost_pct=67,
                stock=2,
                location=PORTLAND,
                weeks=(1, 1),
            ),
            _variant(
                "EB-LLLT-1000",
                "Dual battery, 1000 Wh",
                5_950,
                cost_pct=67,
                stock=1,
                location=SEATTLE,
                weeks=(1, 2),
            ),
        ],
    },
    {
        "slug": "loam-lever-box-2",
        "category": "e-bikes",
        "name": "Loam & Lever Box 2",
        "brand": "Loam & Lever",
        "summary": "A front-loader cargo bike with a wooden box for two children, a dog or "
        "the weekly shop.",
        "description": _text(
            """
            With the load in front of you, a front-loader lets you talk to your passengers and
            keeps the weight low, so the Box 2 is steady even with two children aboard. The
            mid-drive motor and an automatic hub gear make hills manageable without thinking
            about shifting.

            The family package adds a rain canopy, two five-point harness seats and a padded
            bench; it is assembled to order in about six weeks. The first few rides feel odd
            because the steering linkage is long; most people are comfortable within a day.

            At over 90 pounds it does not go up stairs. You need ground-floor storage.
            """
        ),
        "warranty_months": 24,
        "has_serial_numbers": True,
        "created_days_ago": 100,
        "images": 2,
        "spec_sheet": False,
        "specs": {
            "range_mi": "40",
            "motor_w": "250",
            "weight_lb": "92.0",
            "frame": "Cargo front-loader",
            "battery_wh": "750",
            "top_speed_mph": "20",
            "bike_class": "Class 1",
        },
        "variants": [
            _variant(
                "EB-LLBX2-STD",
                "Standard",
                7_900,
                cost_pct=68,
                stock=2,
                location=PORTLAND,
                weeks=(1, 2),
            ),
            _variant(
                "EB-LLBX2-FAM",
                "Family package",
                8_650,
                cost_pct=68,
                made_to_order=True,
                build_weeks=6,
                weeks=(1, 2),
            ),
        ],
    },
    {
        "slug": "tallis-fold-s",
        "category": "e-bikes",
        "name": "Tallis Fold S",
        "brand": "Tallis Cycles",
        "summary": "A folding e-bike that goes under a desk or onto a train, and rides like a "
        "full-size bike.",
        "description": _text(
            """
            The Fold S folds in about fifteen seconds into a package the size of a carry-on
            suitcase, and rolls on its rack wheels when folded. The frame is stiff enough that it
            does not feel like a folding bike once you are moving.

            The 400 Wh battery gives about 30 miles on our loop, which is plenty for a train
            commute and modest for a whole-day ride. At 37.5 pounds it is light for an e-bike
            but still a lot to carry up several flights.
            """
        ),
        "warranty_months": 24,
        "has_serial_numbers": True,
        "created_days_ago": 230,
        "images": 2,
        "spec_sheet": False,
        "specs": {
            "range_mi": "30",
            "motor_w": "250",
            "weight_lb": "37.5",
            "frame": "Folding",
            "battery_wh": "400",
            "top_speed_mph": "20",
            "bike_class": "Class 1",
        },
        "variants": [
            _variant(
                "EB-TLFS-STD",
                "Standard",
                3_450,
                cost_pct=63,
                stock=6,
                location=SEATTLE,
                weeks=(1, 1),
            ),
            _variant(
                "EB-TLFS-CRG",
                "With front carrier and rack",
                3_690,
                cost_pct=63,
                stock=2,
                location=SEATTLE,
                weeks=(1, 1),
            ),
        ],
    },
    {
        "slug": "tallis-gravel-r",
        "category": "e-bikes",
        "name": "Tallis Gravel R",
        "brand": "Tallis Cycles",
        "summary": "A carbon gravel bike with a light-assist motor: it rides like a bike and "
        "flattens the hills.",
        "description": _text(
            """
            The Gravel R is for riders who want to go farther and keep up with faster friends,
            not to be carried. The small motor adds up to 250 watts and is nearly undetectable;
            with it off, the bike pedals with no drag. Most people forget it is electric until
            the first long climb.

            The 360 Wh battery covers about 60 miles at low assist; a range extender bottle
            adds 160 Wh. The 58 cm frame is sold out; the rest ship within a week or two.
            """
        ),
        "warranty_months": 36,
        "has_serial_numbers": True,
        "created_days_ago": 35,
        "images": 3,
        "spec_sheet": True,
        "specs": {
            "range_mi": "60",
            "motor_w": "250",
            "weight_lb": "31.0",
            "frame": "Diamond",
            "battery_wh": "360",
            "top_speed_mph": "20",
            "bike_class": "Class 1",
        },
        "variants": [
            _variant(
                "EB-TLGR-52",
                "52 cm frame",
                8_900,
                cost_pct=70,
                stock=1,
                location=PORTLAND,
                weeks=(1, 1),
            ),
            _variant(
                "EB-TLGR-54",
                "54 cm frame",
                8_900,
                cost_pct=70,
                stock=2,
                location=SEATTLE,
                weeks=(1, 2),
            ),
            _variant(
                "EB-TLGR-56",
                "56 cm frame",
                8_900,
                cost_pct=70,
                stock=1,
                location=SEATTLE,
                weeks=(1, 2),
            ),
            _variant("EB-TLGR-58", "58 cm frame", 8_900, cost_pct=70, weeks=(1, 2)),
        ],
    },
    {
        "slug": "tallis-speed-28",
        "category": "e-bikes",
        "name": "Tallis Speed 28",
        "brand": "Tallis Cycles",
        "summary": "A Class 3 commuter that holds 28 mph with assist, with the brakes, lights "
        "and tires to match.",
        "description": _text(
            """
            The Speed 28 is built for long suburban commutes on roads, where holding traffic
            speed matters. It has a 900 Wh battery, motorcycle-grade lights with a high beam,
            four-piston brakes and puncture-resistant tires.

            Class 3 bikes are not allowed on many multi-use paths, and some states require a
            helmet and a minimum rider age. Check your local rules before you buy; your rep can
            help. The large frame is assembled to order in about eight weeks.
            """
        ),
        "warranty_months": 36,
        "has_serial_numbers": True,
        "created_days_ago": 10,
        "images": 3,
        "spec_sheet": False,
        "specs": {
            "range_mi": "70",
            "motor_w": "750",
            "weight_lb": "58.0",
            "frame": "Diamond",
            "battery_wh": "900",
            "top_speed_mph": "28",
            "bike_class": "Class 3",
        },
        "variants": [
            _variant(
                "EB-TLS28-M",
                "Medium frame",
                11_500,
                cost_pct=71,
                stock=1,
                location=PORTLAND,
                weeks=(1, 1),
            ),
            _variant(
                "EB-TLS28-L",
                "Large frame",
                11_500,
                cost_pct=71,
                made_to_order=True,
                build_weeks=8,
                weeks=(1, 2),
            ),
        ],
    },
    {
        "slug": "fernway-haul-compact",
        "category": "e-bikes",
        "name": "Fernway Haul Compact",
        "brand": "Fernway Cycles",
        "summary": "A short utility bike with 20-inch wheels and a big rear rack: cargo-bike "
        "capacity in a normal bike's length.",
        "description": _text(
            """
            The Haul Compact is no longer than a standard bike but carries one child seat or two
            bags of groceries on its rear rack, and its small wheels keep the load low. The
            frame fits riders from about five feet to six foot three with a quick seat and
            stem adjustment, so a household can share it.

            It has a throttle as well as pedal assist, which makes it a Class 2 bike. Range is
            about 45 miles unloaded and noticeably less with a passenger.
            """
        ),
        "warranty_months": 24,
        "has_serial_numbers": True,
        "created_days_ago": 160,
        "images": 2,
        "spec_sheet": False,
        "specs": {
            "range_mi": "45",
            "motor_w": "500",
            "weight_lb": "63.0",
            "frame": "Cargo longtail",
            "battery_wh": "672",
            "top_speed_mph": "20",
            "bike_class": "Class 2",
        },
        "variants": [
            _variant(
                "EB-FWHC-STD",
                "One size",
                3_990,
                cost_pct=64,
                stock=3,
                location=SEATTLE,
                weeks=(1, 2),
            ),
        ],
    },
    # ------------------------------------------------------------------ expeditions
    {
        "slug": "svalbard-polar-summer",
        "category": "expeditions",
        "name": "Svalbard Polar Summer by Small Ship",
        "brand": "Northlight Expeditions",
        "summary": "Twelve days around Spitsbergen in the midnight sun with twelve guests, "
        "walrus, glaciers and the pack ice edge.",
        "description": _text(
            """
            A converted ice-class research vessel takes twelve guests and a crew of nine around
            Spitsbergen, landing by inflatable boat two or three times a day. Expect walrus
            haul-outs, bird cliffs, glacier fronts and, with luck, polar bears on the ice edge,
            seen from the ship at a respectful distance.

            Days are flexible by design: the expedition leader plans around ice and weather, so
            no two voyages follow the same route. Landings involve uneven ground and wet
            boarding; you should be able to walk three hours over rough terrain.

            The price includes the cabin, all meals, landings, guiding and the charter flight
            between Oslo and Longyearbyen. The July 5 departure is full.
            """
        ),
        "warranty_months": 0,
        "has_serial_numbers": False,
        "created_days_ago": 65,
        "images": 3,
        "spec_sheet": True,
        "art": "ice_sea",
        "specs": {
            "duration_days": "12",
            "departure_date": "2027-06-14",
            "group_max": "12",
            "difficulty": "Moderate",
            "region": "Arctic",
            "lodging": "Expedition vessel, twin cabins with private bath",
        },
        "variants": [
            _variant(
                "EX-SVAL12-270614",
                "Departs June 14, 2027",
                18_900,
                cost_pct=78,
                stock=4,
                weeks=(1, 2),
            ),
            _variant("EX-SVAL12-270705", "Departs July 5, 2027", 18_900, cost_pct=78, weeks=(1, 2)),
            _variant(
                "EX-SVAL12-270726",
                "Departs July 26, 2027",
                19_400,
                cost_pct=78,
                stock=7,
                weeks=(1, 2),
            ),
        ],
    },
    {
        "slug": "antarctic-peninsula-under-sail",
        "category": "expeditions",
        "name": "Antarctic Peninsula Under Sail",
        "brand": "Southern Ice Voyages",
        "summary": "Cross the Drake Passage on a steel expedition sailboat with nine other "
        "guests and spend two weeks on the Peninsula.",
        "description": _text(
            """
            This is Antarctica the slow way: a 66-foot steel schooner, a professional crew of
            four, and ten guests who stand watches, help with the sails and go ashore wherever
            the ice allows. Without the crowd of a cruise ship, you can land at places larger
            vessels cannot reach.

            Be honest with yourself about the Drake Passage. The crossing takes three to five
            days each way and can be very rough; everyone is seasick at some point. Cabins are
            shared and small. In return you get days of quiet among icebergs and penguin
            colonies that few people ever see.

            The price includes the voyage from Ushuaia, all meals, landings and polar gear
            loan. Travel insurance with evacuation cover is required.
            """
        ),
        "warranty_months": 0,
        "has_serial_numbers": False,
        "created_days_ago": 185,
        "images": 3,
        "spec_sheet": True,
        "art": "ice_sea",
        "specs": {
            "duration_days": "23",
            "departure_date": "2027-01-08",
            "group_max": "10",
            "difficulty": "Challenging",
            "region": "Antarctica",
            "lodging": "Steel expedition sailboat, shared cabins",
        },
        "variants": [
            _variant(
                "EX-ANTS23-270108",
                "Departs January 8, 2027",
                34_500,
                cost_pct=80,
                stock=2,
                weeks=(1, 1),
            ),
            _variant(
                "EX-ANTS23-271210",
                "Departs December 10, 2027",
                35_900,
                cost_pct=80,
                stock=8,
                weeks=(1, 2),
            ),
        ],
    },
    {
        "slug": "patagonia-ice-field-traverse",
        "category": "expeditions",
        "name": "Southern Patagonian Ice Field Traverse",
        "brand": "Ridgeway Mountain Guides",
        "summary": "Sixteen days hauling sleds across one of the largest ice fields outside "
        "the poles, with two mountain guides.",
        "description": _text(
            """
            This is a serious glacier expedition. Groups of up to eight, with two certified
            mountain guides, ski or snowshoe across the ice field pulling sleds, camping on the
            ice and waiting out storms in snow walls. On clear days the granite towers around
            you are unlike anything else on earth.

            You need prior experience of multi-day backpacking and cold-weather camping, and the
            fitness to haul about 70 pounds for six to eight hours a day. The guides hold a
            pre-trip call with every guest and may suggest a different trip; that call is part
            of the price.

            Weather days are built into the schedule, and on about one trip in five the team
            turns back. The outfitter's refund and rebooking terms are in the booking pack.
            """
        ),
        "warranty_months": 0,
        "has_serial_numbers": False,
        "created_days_ago": 240,
        "images": 3,
        "spec_sheet": False,
        "art": "towers",
        "specs": {
            "duration_days": "16",
            "departure_date": "2027-01-15",
            "group_max": "8",
            "difficulty": "Strenuous",
            "region": "South America",
            "lodging": "Tents on the ice; refugio the first and last nights",
        },
        "variants": [
            _variant(
                "EX-PIFT16-270115",
                "Departs January 15, 2027",
                9_800,
                cost_pct=75,
                stock=3,
                weeks=(1, 1),
            ),
            _variant(
                "EX-PIFT16-271105",
                "Departs November 5, 2027",
                9_800,
                cost_pct=75,
                stock=8,
                weeks=(1, 2),
            ),
        ],
    },
    {
        "slug": "everest-gokyo-trek",
        "category": "expeditions",
        "name": "Everest Base Camp and Gokyo Lakes Trek",
        "brand": "Ridgeway Mountain Guides",
        "summary": "Nineteen days in the Khumbu with generous acclimatisation, the Gokyo "
        "lakes and a crossing of the Cho La pass.",
        "description": _text(
            """
            Our version of the classic trek goes up the quieter Gokyo valley first, crosses the
            Cho La pass with a guide and crampons, and reaches Everest Base Camp from the west.
            The pace is slower than most itineraries, with three full acclimatisation days,
            because altitude is what ends treks.

            Nights are in teahouses with private rooms where they exist, which is most nights
            below 4,500 meters. Above that, expect simple shared rooms, cold nights and basic
            toilets. Flights to Lukla are often delayed by weather; the itinerary has two spare
            days for that.
            """
        ),
        "warranty_months": 0,
        "has_serial_numbers": False,
        "created_days_ago": 130,
        "images": 3,
        "spec_sheet": False,
        "art": "peaks",
        "specs": {
            "duration_days": "19",
            "departure_date": "2027-04-03",
            "group_max": "12",
            "difficulty": "Challenging",
            "region": "Himalaya",
            "lodging": "Teahouses, private rooms where available",
        },
        "variants": [
            _variant(
                "EX-EBCG19-270403",
                "Departs April 3, 2027",
                7_450,
                cost_pct=74,
                stock=5,
                weeks=(1, 2),
            ),
            _variant(
                "EX-EBCG19-271009",
                "Departs October 9, 2027",
                7_450,
                cost_pct=74,
                stock=9,
                weeks=(1, 2),
            ),
        ],
    },
    {
        "slug": "kilimanjaro-lemosho",
        "category": "expeditions",
        "name": "Kilimanjaro by the Lemosho Route, with Safari",
        "brand": "Kibo Highlands Trekking",
        "summary": "Eight days on Kilimanjaro's quietest route, then three days of safari in "
        "Tarangire to rest your legs.",
        "description": _text(
            """
            The Lemosho route approaches Kilimanjaro from the west through rain forest and
            across the Shira plateau. Eight days on the mountain gives the body time to adjust
            and raises summit success well above the shorter routes. Summit night starts around
            midnight and is cold, long and steep.

            After the climb, three days in Tarangire National Park with a private vehicle and
            driver-guide, staying in a tented lodge. Porters on this trip are paid above the
            park's recommended wage and carry no more than the legal limit; we check.

            The January departure is full. If the June dates do not suit you, a private
            departure for your own group can be arranged on dates of your choice with about
            three months' notice.
            """
        ),
        "warranty_months": 0,
        "has_serial_numbers": False,
        "created_days_ago": 85,
        "images": 3,
        "spec_sheet": False,
        "art": "savanna",
        "specs": {
            "duration_days": "13",
            "departure_date": "2027-06-23",
            "group_max": "10",
            "difficulty": "Challenging",
            "region": "East Africa",
            "lodging": "Mountain tents; tented safari lodge",
        },
        "variants": [
            _variant(
                "EX-KILI13-270120", "Departs January 20, 2027", 8_900, cost_pct=73, weeks=(1, 1)
            ),
            _variant(
                "EX-KILI13-270623",
                "Departs June 23, 2027",
                8_900,
                cost_pct=73,
                stock=6,
                weeks=(1, 2),
            ),
            _variant(
                "EX-KILI13-PRIV",
                "Private departure, your dates",
                11_600,
                cost_pct=73,
                made_to_order=True,
                build_weeks=12,
                weeks=(1, 2),
            ),
        ],
    },
    {
        "slug": "brooks-range-river-float",
        "category": "expeditions",
        "name": "Brooks Range Wilderness River Float",
        "brand": "Northlight Expeditions",
        "summary": "Ten days rafting an Arctic river north of the treeline, in and out by "
        "bush plane.",
        "description": _text(
            """
            A bush plane drops eight guests and two guides on a gravel bar in the Brooks Range,
            and for ten days the only way out is downriver. The rapids are gentle (class II at
            most), so the days are for hiking ridgelines, watching for caribou and wolves, and
            fishing for grayling.

            The weather can turn from warm sun to sleet in an afternoon, and the mosquitoes in
            July are as famous as the scenery; head nets are in the kit list. No experience with
            rafts is needed, but you should be comfortable camping for the whole trip.
            """
        ),
        "warranty_months": 0,
        "has_serial_numbers": False,
        "created_days_ago": 50,
        "images": 3,
        "spec_sheet": False,
        "art": "river",
        "specs": {
            "duration_days": "10",
            "departure_date": "2027-07-06",
            "group_max": "8",
            "difficulty": "Moderate",
            "region": "Alaska",
            "lodging": "Tents; bush plane in and out from Fairbanks",
        },
        "variants": [
            _variant(
                "EX-BRRF10-270706",
                "Departs July 6, 2027",
                11_200,
                cost_pct=76,
                stock=3,
                weeks=(1, 2),
            ),
            _variant(
                "EX-BRRF10-270803",
                "Departs August 3, 2027",
                11_200,
                cost_pct=76,
                stock=6,
                weeks=(1, 2),
            ),
        ],
    },
    {
        "slug": "east-greenland-sea-kayak",
        "category": "expeditions",
        "name": "East Greenland Sea Kayak Expedition",
        "brand": "Northlight Expeditions",
        "summary": "Two weeks paddling among icebergs in the fjords of East Greenland, for "
        "experienced sea kayakers.",
        "description": _text(
            """
            Eight paddlers and two guides travel by double and single sea kayaks through the
            fjords near Tasiilaq, camping on shore and paddling four to six hours a day among
            icebergs. There is one night in a settlement guesthouse and a visit with local
            hunters who guide in the area.

            You need to be a confident sea kayaker with a reliable self-rescue; the water is
            near freezing and help is far away. The 2027 departure is fully booked and the
            outfitter has not yet announced 2028 dates.
            """
        ),
        "warranty_months": 0,
        "has_serial_numbers": False,
        "created_days_ago": 200,
        "images": 2,
        "spec_sheet": False,
        "art": "fjord",
        "specs": {
            "duration_days": "14",
            "departure_date": "2027-08-02",
            "group_max": "8",
            "difficulty": "Challenging",
            "region": "Arctic",
            "lodging": "Tents; one night in a settlement guesthouse",
        },
        "variants": [
            _variant(
                "EX-GRKY14-270802", "Departs August 2, 2027", 12_600, cost_pct=77, weeks=(1, 2)
            ),
        ],
    },
    {
        "slug": "galapagos-by-sailing-yacht",
        "category": "expeditions",
        "name": "Galapagos Islands by Sailing Yacht",
        "brand": "Equator Sail Company",
        "summary": "Ten days among the islands on a 16-guest sailing yacht, with a naturalist "
        "guide and a snorkel every day.",
        "description": _text(
            """
            The gentlest trip we offer, and one of the most memorable. The yacht moves between
            islands at night, so each morning begins somewhere new: sea lions on the beach,
            marine iguanas on the lava, blue-footed boobies at arm's length. A certified
            naturalist leads every landing, and there is a snorkel or swim every day.

            Walks are short and mostly on marked trails, though some landings are wet and the
            lava is uneven. Cabins are small but each has its own bathroom. Park fees and the
            transit card are included; flights to the islands from Guayaquil are not.
            """
        ),
        "warranty_months": 0,
        "has_serial_numbers": False,
        "created_days_ago": 3,
        "images": 3,
        "spec_sheet": True,
        "art": "islands",
        "specs": {
            "duration_days": "10",
            "departure_date": "2027-03-12",
            "group_max": "16",
            "difficulty": "Easy",
            "region": "South America",
            "lodging": "Sailing yacht, private cabins with bath",
        },
        "variants": [
            _variant(
                "EX-GALS10-270312",
                "Departs March 12, 2027",
                14_800,
                cost_pct=78,
                stock=6,
                weeks=(1, 2),
            ),
            _variant(
                "EX-GALS10-270521",
                "Departs May 21, 2027",
                14_800,
                cost_pct=78,
                stock=10,
                weeks=(1, 2),
            ),
        ],
    },
    # ------------------------------------------------------------------ furniture
    {
        "slug": "halden-lounge-chair",
        "category": "furniture",
        "name": "Halden Lounge Chair and Ottoman",
        "brand": "Studio Lund",
        "summary": "A moulded wood shell and deep leather cushions: a reading chair to keep "
        "for the rest of your life.",
        "description": _text(
            """
            Hugo Lindahl drew the Halden for his own study. The shell is moulded from seven
            layers of veneer, the cushions are down wrapped around foam, and the leather is
            full-grain, dyed through so scuffs do not show white. It swivels and reclines
            slightly; the ottoman matches the angle of the seat.

            Cognac and black are in stock. Oat leather on a white oak shell is made to order in
            about ten weeks. Every cushion is replaceable, and Studio Lund will re-cover a chair
            decades from now.

            It is a large chair, about as wide as a small armchair and deeper; measure the space
            with the ottoman in front before you decide.
            """
        ),
        "warranty_months": 60,
        "has_serial_numbers": True,
        "created_days_ago": 28,
        "images": 3,
        "spec_sheet": True,
        "art": "lounge_chair",
        "specs": {
            "width_cm": "84",
            "depth_cm": "86",
            "height_cm": "98",
            "material": "Leather",
            "designer": "Hugo Lindahl",
            "lead_time_weeks": "10",
        },
        "variants": [
            _variant(
                "FN-HALDEN-COG",
                "Cognac leather, walnut shell",
                8_900,
                cost_pct=62,
                stock=1,
                location=PORTLAND,
                weeks=(1, 2),
            ),
            _variant(
                "FN-HALDEN-BLK",
                "Black leather, walnut shell",
                8_900,
                cost_pct=62,
                stock=2,
                location=SEATTLE,
                weeks=(1, 2),
            ),
            _variant(
                "FN-HALDEN-OAT",
                "Oat leather, white oak shell",
                9_400,
                cost_pct=62,
                made_to_order=True,
                build_weeks=10,
                weeks=(1, 2),
            ),
        ],
    },
    {
        "slug": "harrow-sofa",
        "category": "furniture",
        "name": "Harrow Sofa, Three-Seat",
        "brand": "Mercer & Thale",
        "summary": "A low, deep three-seat sofa on a solid hardwood frame, in boucle, linen or "
        "leather.",
        "description": _text(
            """
            The Harrow is deep enough to sit cross-legged and firm enough to get out of easily.
            Its frame is kiln-dried hardwood joined with dowels and glue, not staples, and the
            seat is sprung with eight-way hand-tied coils, the traditional way.

            The ivory boucle sofa on our floor can be delivered in a week or two. Other covers
            are upholstered to order; the leather version takes a little longer.

            Boucle shows wear on the arms after several years of daily use; the covers are
            removable and replaceable, and we keep a record of your fabric lot.
            """
        ),
        "warranty_months": 60,
        "has_serial_numbers": True,
        "created_days_ago": 62,
        "images": 3,
        "spec_sheet": False,
        "art": "sofa",
        "specs": {
            "width_cm": "228",
            "depth_cm": "96",
            "height_cm": "78",
            "material": "Wool boucle",
            "designer": "Ines Marlowe",
            "lead_time_weeks": "12",
        },
        "variants": [
            _variant(
                "FN-HARROW-BCL",
                "Ivory wool boucle",
                12_400,
                cost_pct=64,
                stock=1,
                location=PORTLAND,
                weeks=(1, 2),
            ),
            _variant(
                "FN-HARROW-MOS",
                "Moss linen blend",
                12_400,
                cost_pct=64,
                made_to_order=True,
                build_weeks=12,
                weeks=(1, 2),
            ),
            _variant(
                "FN-HARROW-LTH",
                "Tan leather",
                15_900,
                cost_pct=64,
                made_to_order=True,
                build_weeks=14,
                weeks=(1, 2),
            ),
        ],
    },
    {
        "slug": "meridian-dining-table",
        "category": "furniture",
        "name": "Meridian Dining Table",
        "brand": "Atelier Brisk",
        "summary": "A solid walnut dining table with a softly bevelled edge, in three lengths "
        "for six to twelve people.",
        "description": _text(
            """
            The Meridian top is made from wide boards of solid walnut chosen and book-matched at
            the workshop, on a pair of trestle legs set in from the ends so nobody straddles a
            leg. It is finished with a hard oil that is easy to repair at home.

            The 200 cm table is in stock in Seattle. Longer tables are built to order in two to
            three months. Solid wood moves with the seasons; small gaps at the breadboard ends
            in winter are normal and by design.
            """
        ),
        "warranty_months": 60,
        "has_serial_numbers": True,
        "created_days_ago": 112,
        "images": 3,
        "spec_sheet": True,
        "art": "table",
        "specs": {
            "width_cm": "240",
            "depth_cm": "105",
            "height_cm": "74",
            "material": "Walnut",
            "designer": "Tomas Berg",
            "lead_time_weeks": "8",
        },
        "variants": [
            _variant(
                "FN-MERID-200",
                "200 cm, seats 6 to 8",
                11_900,
                cost_pct=63,
                stock=1,
                location=SEATTLE,
                weeks=(1, 2),
            ),
            _variant(
                "FN-MERID-240",
                "240 cm, seats 8 to 10",
                14_800,
                cost_pct=63,
                made_to_order=True,
                build_weeks=8,
                weeks=(1, 2),
            ),
            _variant(
                "FN-MERID-280",
                "280 cm, seats 10 to 12",
                17_600,
                cost_pct=63,
                made_to_order=True,
                build_weeks=10,
                weeks=(1, 2),
            ),
        ],
    },
    {
        "slug": "ledger-sideboard",
        "category": "furniture",
        "name": "Ledger Sideboard",
        "brand": "Mercer & Thale",
        "summary": "A long white oak sideboard with four doors, adjustable shelves and two "
        "felt-lined drawers.",
        "description": _text(
            """
            The Ledger has solid oak doors on wooden hinges, dovetailed drawers lined in wool
            felt for silver and linens, and a cable opening at the back if it holds a stereo.
            The legs are set back so it reads as a floating shelf from across the room.

            Natural oak is in stock; the ebonized finish is made to order. Direct sun will
            darken natural oak over a few years, as it should.
            """
        ),
        "warranty_months": 60,
        "has_serial_numbers": True,
        "created_days_ago": 170,
        "images": 2,
        "spec_sheet": False,
        "art": "sideboard",
        "specs": {
            "width_cm": "210",
            "depth_cm": "48",
            "height_cm": "76",
            "material": "White oak",
            "designer": "Ines Marlowe",
            "lead_time_weeks": "10",
        },
        "variants": [
            _variant(
                "FN-LEDGER-OAK",
                "Natural white oak",
                9_600,
                cost_pct=63,
                stock=2,
                location=SEATTLE,
                weeks=(1, 2),
            ),
            _variant(
                "FN-LEDGER-EBN",
                "Ebonized oak",
                9_950,
                cost_pct=63,
                made_to_order=True,
                build_weeks=10,
                weeks=(1, 2),
            ),
        ],
    },
    {
        "slug": "tessellate-coffee-table",
        "category": "furniture",
        "name": "Tessellate Coffee Table",
        "brand": "Kiln Row",
        "summary": "A low coffee table of interlocking marble blocks, each cut and honed by hand.",
        "description": _text(
            """
            Adaeze Nwosu designed the Tessellate as three interlocking blocks that can be
            turned to make a different outline. Each block is cut from a single slab and honed
            to a soft matte finish, and the base is sealed against water rings.

            The verde marble came from one block that is now used up, so that version is sold
            out for good. Calacatta is made to order from the next slab in about fourteen weeks;
            your rep can send photographs of the slab before cutting.

            Marble is heavy (about 140 kg in all) and will stain from wine or lemon if left;
            wipe spills promptly and reseal once a year.
            """
        ),
        "warranty_months": 24,
        "has_serial_numbers": True,
        "created_days_ago": 78,
        "images": 2,
        "spec_sheet": False,
        "art": "coffee_table",
        "delivery": [
            _option(
                "white_glove",
                650,
                "Room of choice, unpacked and assembled, packaging taken away",
                extra_weeks=1,
            ),
            _option("freight", 450, "Crated on a pallet, curbside: about 140 kg in all"),
            _option("pickup", 0, "Collect from the Portland showroom; bring two strong friends"),
        ],
        "specs": {
            "width_cm": "130",
            "depth_cm": "80",
            "height_cm": "36",
            "material": "Marble",
            "designer": "Adaeze Nwosu",
            "lead_time_weeks": "14",
        },
        "variants": [
            _variant("FN-TESS-VRD", "Verde marble", 6_200, cost_pct=66, weeks=(1, 2)),
            _variant(
                "FN-TESS-CAL",
                "Calacatta marble",
                6_800,
                cost_pct=66,
                made_to_order=True,
                build_weeks=14,
                weeks=(1, 2),
            ),
        ],
    },
    {
        "slug": "comb-back-windsor-chairs",
        "category": "furniture",
        "name": "Comb-Back Windsor Dining Chairs, Set of Six",
        "brand": "Oakhurst Joinery",
        "summary": "Six Windsor chairs made the old way, with steam-bent backs and wedged "
        "tenons, built to order.",
        "description": _text(
            """
            Oakhurst makes these chairs one at a time in a small shop in North Carolina. Seats
            are carved from a single plank, spindles are split from the log rather than sawn so
            the grain runs their full length, and the legs are wedged through the seat, so the
            joints tighten with use rather than loosen.

            A set takes about four months. The chairs are lighter than they look and
            surprisingly comfortable for long dinners; a thin cushion is available but most
            owners find they do not need it.
            """
        ),
        "warranty_months": 120,
        "has_serial_numbers": True,
        "created_days_ago": 246,
        "images": 3,
        "spec_sheet": False,
        "art": "chairs",
        "delivery": [
            _option(
                "white_glove",
                650,
                "Room of choice, unpacked, packaging taken away",
                extra_weeks=1,
            ),
            _option("freight", 350, "Six boxed chairs on a pallet, curbside"),
            _option("pickup", 0, "Collect from the Portland showroom"),
        ],
        "specs": {
            "width_cm": "56",
            "depth_cm": "52",
            "height_cm": "98",
            "material": "White oak",
            "designer": "Ruth Calloway",
            "lead_time_weeks": "16",
        },
        "variants": [
            _variant(
                "FN-WINDSOR-OAK6",
                "White oak, set of six",
                11_400,
                cost_pct=70,
                made_to_order=True,
                build_weeks=16,
                weeks=(1, 2),
            ),
            _variant(
                "FN-WINDSOR-WAL6",
                "Walnut, set of six",
                12_900,
                cost_pct=70,
                made_to_order=True,
                build_weeks=16,
                weeks=(1, 2),
            ),
        ],
    },
    {
        "slug": "fjell-daybed",
        "category": "furniture",
        "name": "Fjell Daybed",
        "brand": "Studio Lund",
        "summary": "A white oak daybed with a wool mattress and loose bolsters: a guest bed, "
        "a reading spot, a sofa.",
        "description": _text(
            """
            The Fjell is a simple oak platform with a thick wool-wrapped mattress and two round
            bolsters that can sit at the ends or along the wall. It sleeps one adult properly
            and makes a good sofa in a study or a small apartment.

            The natural cushion is in stock in Portland; charcoal wool is made to order. With
            no back, it is better for lounging than for sitting upright for hours.
            """
        ),
        "warranty_months": 60,
        "has_serial_numbers": True,
        "created_days_ago": 14,
        "images": 2,
        "spec_sheet": False,
        "art": "daybed",
        "specs": {
            "width_cm": "200",
            "depth_cm": "85",
            "height_cm": "40",
            "material": "White oak",
            "designer": "Hugo Lindahl",
            "lead_time_weeks": "10",
        },
        "variants": [
            _variant(
                "FN-FJELL-NAT",
                "Natural wool cushion",
                7_450,
                cost_pct=62,
                stock=1,
                location=PORTLAND,
                weeks=(1, 2),
            ),
            _variant(
                "FN-FJELL-CHR",
                "Charcoal wool cushion",
                7_450,
                cost_pct=62,
                made_to_order=True,
                build_weeks=10,
                weeks=(1, 2),
            ),
        ],
    },
    {
        "slug": "cartwright-partners-desk",
        "category": "furniture",
        "name": "Cartwright Partners Desk",
        "brand": "Mercer & Thale",
        "summary": "A double-sided walnut desk with drawers on both sides, for two people or "
        "for one with a lot of paper.",
        "description": _text(
            """
            A partners desk is made to be shared face to face, with drawers and a kneehole on
            each side. The Cartwright has a leather writing insert, cable channels hidden under
            the top and drawers that run on wooden runners, waxed, the way they did before
            metal slides.

            Each desk is built to order in about four months. It is a large, heavy piece that
            comes in three parts and is assembled in place by our delivery team; check the
            turn at the top of your stairs.
            """
        ),
        "warranty_months": 60,
        "has_serial_numbers": True,
        "created_days_ago": 320,
        "images": 3,
        "spec_sheet": True,
        "art": "desk",
        # It comes in three parts that only our team assembles.
        "delivery": [
            _option(
                "white_glove",
                1_100,
                "Carried in and assembled in place by our team, packaging taken away",
                extra_weeks=1,
            ),
        ],
        "specs": {
            "width_cm": "180",
            "depth_cm": "150",
            "height_cm": "75",
            "material": "Walnut",
            "designer": "Ines Marlowe",
            "lead_time_weeks": "18",
        },
        "variants": [
            _variant(
                "FN-CARTW-WAL",
                "Walnut with black leather insert",
                16_900,
                cost_pct=66,
                made_to_order=True,
                build_weeks=18,
                weeks=(1, 2),
            ),
        ],
    },
    {
        "slug": "arc-library-wall",
        "category": "furniture",
        "name": "Arc Library Wall",
        "brand": "Atelier Brisk",
        "summary": "A floor-to-ceiling bookcase system in walnut and blackened steel, sized to "
        "your wall.",
        "description": _text(
            """
            Each bay of the Arc is a blackened steel frame with solid walnut shelves that rest
            on pins and can be moved in inch steps. Arched tops on alternate bays give a long
            wall some rhythm. The system is fixed to the wall and each shelf takes a full run of
            art books without bowing.

            Every installation is built to your wall's measurements, which our installer takes
            in person in the Pacific Northwest or from your own careful drawing elsewhere. Lead
            time is about three months for three bays and a little longer for five.
            """
        ),
        "warranty_months": 60,
        "has_serial_numbers": True,
        "created_days_ago": 190,
        "images": 2,
        "spec_sheet": False,
        "art": "bookcase",
        "delivery": [
            _option(
                "white_glove",
                1_200,
                "Installed and fixed to your wall by our installer, packaging taken away",
                extra_weeks=1,
            ),
            _option(
                "freight",
                600,
                "Crated on a pallet, curbside, with fixing drawings; mounting is yours",
            ),
            _option("pickup", 0, "Collect from the Portland showroom, crated"),
        ],
        "specs": {
            "width_cm": "270",
            "depth_cm": "40",
            "height_cm": "240",
            "material": "Steel",
            "designer": "Tomas Berg",
            "lead_time_weeks": "12",
        },
        "variants": [
            _variant(
                "FN-ARC-3B",
                "Three bays",
                21_500,
                cost_pct=65,
                made_to_order=True,
                build_weeks=12,
                weeks=(1, 2),
            ),
            _variant(
                "FN-ARC-5B",
                "Five bays",
                27_800,
                cost_pct=65,
                made_to_order=True,
                build_weeks=14,
                weeks=(1, 2),
            ),
        ],
    },
]

# ------------------------------------------------------------------ delivery
# How each product reaches the buyer. These are the prices checkout charges, so they are whole
# dollars as integer cents, like every other amount here. Each category has a default priced by
# size; a product dict with its own "delivery" list keeps it.

# (length under, ft) -> (white-glove, freight) in dollars; the last tier has no upper bound.
_SAILBOAT_TIERS = [
    (25, 4_500, 2_800),
    (30, 5_200, 3_200),
    (35, 6_200, 3_800),
    (40, 7_400, 4_600),
    (45, 8_500, 5_300),
    (None, 9_500, 6_000),
]
# (length under, cm) -> white-glove price in dollars.
_PIANO_TIERS = [(170, 950), (190, 1_150), (215, 1_350), (250, 1_550), (None, 1_800)]
# (weight under, lb) -> boxed freight price in dollars.
_EBIKE_TIERS = [(40, 150), (60, 195), (80, 225), (None, 250)]
# (width + depth under, cm) -> (white-glove, curbside freight) in dollars.
_FURNITURE_TIERS = [(200, 450, 250), (275, 650, 350), (325, 850, 450), (None, 1_050, 550)]


def _tier(tiers: list[tuple], size: str) -> tuple:
    """The prices of the first tier whose bound the size (a spec string) stays under."""
    value = Decimal(size)
    for bound, *prices in tiers:
        if bound is None or value < bound:
            return tuple(prices)
    raise ValueError(size)  # pragma: no cover  (the last tier is open)


def _pickup_places(product: dict, default: str) -> str:
    """Where the product's stock lies, e.g. "the Portland showroom or the Seattle warehouse"."""
    places = sorted({v["stock_location"] for v in product["variants"]} - {""}) or [default]
    return " or ".join(f"the {place}" for place in places)


def _sailboat_delivery(product: dict) -> list[dict]:
    length = product["specs"]["length"]
    white_glove, freight = _tier(_SAILBOAT_TIERS, length)
    bigger = Decimal(length) >= 35
    return [
        _option(
            "white_glove",
            white_glove,
            "Delivered and commissioned at your marina: mast stepped, rig tuned, sea trial",
            extra_weeks=2 if bigger else 1,
        ),
        _option(
            "freight",
            freight,
            "Trucked on a cradle to your yard or marina; launch and rigging are yours",
            extra_weeks=2 if Decimal(length) >= 40 else 1,
        ),
        _option("pickup", 0, f"Sail away from {_pickup_places(product, ANNAPOLIS)}"),
    ]


def _piano_delivery(product: dict) -> list[dict]:
    length = product["specs"]["length_cm"]
    (white_glove,) = _tier(_PIANO_TIERS, length)
    return [
        _option(
            "white_glove",
            white_glove,
            "In-home delivery by our piano movers, placed in your room, first tuning included",
            # A concert-size case needs the larger crew, booked further ahead.
            extra_weeks=1 if Decimal(length) >= 250 else 0,
        ),
        _option("pickup", 0, "Collect from the Portland showroom; we crate it for you"),
    ]


def _ebike_delivery(product: dict) -> list[dict]:
    weight = product["specs"]["weight_lb"]
    (freight,) = _tier(_EBIKE_TIERS, weight)
    heavy = Decimal(weight) >= 80
    return [
        _option(
            "freight",
            freight,
            "Crated on a pallet, curbside; front wheel and bars to fit"
            if heavy
            else "Boxed and nearly assembled: fit the bars and pedals with the tools included",
            extra_weeks=1 if Decimal(weight) >= 60 else 0,
        ),
        _option(
            "white_glove",
            350,
            "Assembled, fitted and delivered by our mechanic, with a first ride together",
            extra_weeks=1,
        ),
        _option("pickup", 0, f"Ride it home from {_pickup_places(product, PORTLAND)}"),
    ]


def _expedition_delivery(product: dict) -> list[dict]:
    return [_option("none", 0, "Travel documents and packing list by email")]


def _furniture_delivery(product: dict) -> list[dict]:
    size = Decimal(product["specs"]["width_cm"]) + Decimal(product["specs"]["depth_cm"])
    white_glove, freight = _tier(_FURNITURE_TIERS, str(size))
    return [
        _option(
            "white_glove",
            white_glove,
            "Room of choice, unpacked, packaging taken away",
            extra_weeks=1,
        ),
        _option("freight", freight, "Curbside delivery on a pallet; you carry it in"),
        _option("pickup", 0, f"Collect from {_pickup_places(product, PORTLAND)}"),
    ]


DELIVERY_DEFAULTS = {
    "sailboats": _sailboat_delivery,
    "pianos": _piano_delivery,
    "e-bikes": _ebike_delivery,
    "expeditions": _expedition_delivery,
    "furniture": _furniture_delivery,
}

for _product in PRODUCTS:
    _product.setdefault("delivery", DELIVERY_DEFAULTS[_product["category"]](_product))
del _product

# Every demo account; the buyer first. Staff share STAFF_PASSWORD.
STAFF: list[dict] = [
    {
        "email": "buyer@example.com",
        "name": "Alex Moreno",
        "role": "buyer",
        "password": BUYER_PASSWORD,
        "timezone": "America/Chicago",
    },
    {
        "email": "maya@example.com",
        "name": "Maya Okafor",
        "role": "rep",
        "password": STAFF_PASSWORD,
        "timezone": "America/Los_Angeles",
        "title": "Specialist, sailboats and expeditions",
        "bio": _text(
            """
            Maya has delivered boats from Annapolis to Maine and sailed to Antarctica as crew on
            one of the voyages we now sell. She would rather spend an hour helping you rule a
            boat out than five minutes talking you into one, and she stays your contact long
            after the boat is in the water.
            """
        ),
        "languages": "English, French",
        "specialties": ["sailboats", "expeditions"],
    },
    {
        "email": "jonas@example.com",
        "name": "Jonas Lindqvist",
        "role": "rep",
        "password": STAFF_PASSWORD,
        "timezone": "America/New_York",
        "title": "Specialist, pianos and furniture",
        "bio": _text(
            """
            Jonas trained as a piano technician in Stockholm and spent ten years regulating
            concert instruments before joining us. He likes nothing better than a buyer who
            plays three pianos and tells him what they heard; he will tell you honestly what he
            hears too, including when the cheaper piano is the better one for your room.
            """
        ),
        "languages": "English, Swedish, German",
        "specialties": ["pianos", "furniture"],
    },
    {
        "email": "support@example.com",
        "name": "Priya Raman",
        "role": "support",
        "password": STAFF_PASSWORD,
        "timezone": "America/Los_Angeles",
        "title": "Owner support",
        "bio": _text(
            """
            Priya looks after owners once their purchase is home: warranty claims, service
            visits, returns and anything that did not go to plan. She reads the whole history
            before she answers, so you never have to tell your story twice.
            """
        ),
        "languages": "English, Hindi, Tamil",
        "specialties": [],
    },
    {
        "email": "manager@example.com",
        "name": "Elena Vasquez",
        "role": "manager",
        "password": STAFF_PASSWORD,
        "timezone": "America/Los_Angeles",
        "title": "Store manager",
        "bio": _text(
            """
            Elena runs the showroom and the yard, and she is the person to write to if anything
            about how we treated you fell short. She answers those letters herself.
            """
        ),
        "languages": "English, Spanish",
        "specialties": [],
    },
]

ACCOUNTS = STAFF  # the same list, under a name that does not suggest staff only
