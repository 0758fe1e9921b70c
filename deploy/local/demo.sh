#!/usr/bin/env bash
# Loads the demo data through the API, as a bookkeeper would enter it: one cooperative with a fee
# policy, rate floors and customers; two municipalities with policies (one a social shareholder);
# eight members in different states with permissions; invoices and a credit note over the last
# three months, most of them paid, those months settled and finalized, the current month
# calculated; collective costs, a payout to Fatima; and a login for every role.
# Usage: demo.sh BASE_URL ADMIN_PASSWORD LOGINS_FILE
# Does nothing when the database already has a cooperative. Passwords are generated once and kept
# in LOGINS_FILE (mode 600), so later runs print logins that still work.
set -euo pipefail
base=$1 admin_password=$2 logins=$3

call() { # METHOD PATH [JSON] → body on stdout; fails on a non-2xx answer
	local out status
	out=$(curl -sS -X "$1" "$base$2" -H "Authorization: Bearer $token" \
		${3:+-H 'Content-Type: application/json' --data "$3"} -w '\n%{http_code}')
	status=${out##*$'\n'}
	out=${out%$'\n'*}
	if [ "${status:0:1}" != 2 ]; then
		echo "demo: $1 $2 answered $status: $out" >&2
		return 1
	fi
	printf '%s' "$out"
}
id_of() { sed -n 's/^{"id":"\([^"]*\)".*/\1/p'; }

token=$(curl -sS "$base/v1/auth/token" -H 'Content-Type: application/json' \
	--data "{\"grant_type\":\"password\",\"username\":\"admin\",\"password\":\"$admin_password\"}" |
	sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "demo: cannot log in as admin" >&2; exit 1; }

if [ "$(call GET /v1/cooperatives?limit=1)" != '{"data":[],"next_cursor":null}' ]; then
	exit 0 # not a new database
fi
echo "demo: loading the demo cooperative" >&2

umask 077
if [ ! -s "$logins" ]; then
	for role in coop_admin bookkeeper auditor member municipality; do
		echo "$role $(openssl rand -base64 18 | tr -d '/+=')"
	done >"$logins"
fi
pw() { awk -v r="$1" '$1 == r { print $2 }' "$logins"; }

call POST /v1/municipalities '{"code":"GM0363","name":"Amsterdam"}' >/dev/null
call POST /v1/municipalities '{"code":"GM0599","name":"Rotterdam"}' >/dev/null
call POST /v1/municipalities/GM0363/policies '{"valid_from":"2025-01-01","income_basis":"work_period",
 "cost_mode":"flat_rate","flat_rate_bp":4000,"fee_deductible":true,"tax_reservation_bp":1000,
 "max_single_expense_cents":45000,"permission_max_months":12}' >/dev/null
call POST /v1/municipalities/GM0599/policies '{"valid_from":"2025-01-01","income_basis":"payment_date",
 "cost_mode":"approved_costs","fee_deductible":false,"tax_reservation_bp":0,
 "max_single_expense_cents":25000,"permission_max_months":6}' >/dev/null

coop=$(call POST /v1/cooperatives '{"legal_name":"Sociale Coöperatie De Werkplaats U.A.",
 "trade_name":"De Werkplaats","kvk_number":"12345678","rsin":"111222333","vat_id":"NL002455799B11",
 "iban":"NL91ABNA0417164300","bic":"ABNANL2A","address":{"street":"Damrak","house_number":"1",
 "postal_code":"1012 LG","city":"Amsterdam","country":"NL"},"email":"administratie@werkplaats.example",
 "phone":"+31 20 123 4567","vat_scheme":"standard","invoice_prefix":"WERK","reserve_cap_cents":2500000,
 "statutes":[{"title":"Statuten De Werkplaats","adopted_on":"2023-03-01","special_statute":false}],
 "board":[{"name":"J. de Vries","position":"voorzitter","since":"2023-03-01"},
  {"name":"A. Bakker","position":"penningmeester","since":"2023-03-01"}]}' | id_of)
call POST "/v1/cooperatives/$coop/fee-policies" '{"valid_from":"2025-01-01","percentage_bp":500,
 "fixed_monthly_cents":0,"minimum_monthly_cents":500,"maximum_monthly_cents":25000,
 "waive_without_turnover":true}' >/dev/null
call POST "/v1/cooperatives/$coop/shareholders" '{"municipality_code":"GM0363","since":"2023-03-01"}' >/dev/null
call POST "/v1/cooperatives/$coop/rate-floors" '{"activity_category":"gardening","unit":"hour","minimum_unit_price_cents":2750}' >/dev/null
call POST "/v1/cooperatives/$coop/rate-floors" '{"activity_category":"bicycle_repair","unit":"piece","minimum_unit_price_cents":1500}' >/dev/null
call POST "/v1/cooperatives/$coop/rate-floors" '{"activity_category":"catering","unit":"day","minimum_unit_price_cents":22500}' >/dev/null
linde=$(call POST "/v1/cooperatives/$coop/customers" '{"name":"Buurthuis De Linde","address":{"street":"Lindengracht",
 "house_number":"20","postal_code":"1015 KK","city":"Amsterdam"},"kvk_number":"87654321","email":"info@delinde.example",
 "payment_terms_days":14}' | id_of)
oost=$(call POST "/v1/cooperatives/$coop/customers" '{"name":"Fietsenmakerij Oost B.V.","address":{"street":"Javastraat",
 "house_number":"5","postal_code":"1094 HA","city":"Amsterdam"},"kvk_number":"23456789","vat_id":"NL004495445B01",
 "peppol_id":"0106:23456789","payment_terms_days":30}' | id_of)

# Eight members: name, birth date, municipality, status, joined, on benefit, activity, category
members=()
i=0
while IFS='|' read -r first last born muni status joined benefit activity category; do
	i=$((i + 1))
	body="{\"first_name\":\"$first\",\"last_name\":\"$last\",\"date_of_birth\":\"$born\",
 \"address\":{\"street\":\"Kade\",\"house_number\":\"$i\",\"postal_code\":\"1011 AB\",\"city\":\"Amsterdam\"},
 \"municipality_code\":\"$muni\",\"municipal_reference\":\"Z-2025-$((1000 + i))\",\"on_benefit\":$benefit,
 \"iban\":\"NL02ABNA0123456789\",\"activity_description\":\"$activity\",\"activity_category\":\"$category\""
	if [ "$status" = applicant ]; then body="$body}"; else body="$body,\"status\":\"active\",\"joined_on\":\"$joined\"}"; fi
	member=$(call POST "/v1/cooperatives/$coop/members" "$body" | id_of)
	members+=("$member")
	if [ "$status" != applicant ] && [ "$benefit" = true ]; then
		exemption=
		[ $i -le 3 ] && exemption=',"exemption_from":"2026-01","exemption_until":"2026-06"'
		call POST "/v1/members/$member/permissions" "{\"municipality_code\":\"$muni\",
 \"decision_reference\":\"TOE-$muni-$((2000 + i))\",\"valid_from\":\"2026-01-01\",\"valid_until\":\"2026-$([ "$muni" = GM0599 ] && echo 06-30 || echo 12-31)\",
 \"goal\":\"$([ $((i % 2)) -eq 0 ] && echo social_activation || echo reintegration)\",
 \"business_hours_per_week\":\"16\",\"jobsearch_hours_per_week\":\"8\"$exemption}" >/dev/null
	fi
	case "$status" in
	suspended) call PATCH "/v1/members/$member" '{"status":"suspended"}' >/dev/null ;;
	ended) call PATCH "/v1/members/$member" '{"status":"ended","left_on":"2026-09-30","exit_reason":"employment"}' >/dev/null ;;
	esac
done <<'MEMBERS'
Fatima|El Amrani|1988-04-12|GM0363|active|2025-02-01|true|Tuinonderhoud voor particulieren|gardening
Kees|Jansen|1979-11-30|GM0363|active|2025-03-15|true|Fietsreparatie aan huis|bicycle_repair
Ayse|Yilmaz|1999-07-08|GM0363|active|2025-05-01|true|Catering voor buurtfeesten|catering
Mohamed|Bouali|1985-01-20|GM0599|active|2025-06-01|true|Tuinonderhoud|gardening
Sanne|de Groot|1992-09-14|GM0363|suspended|2025-01-10|true|Fietsverhuur|bicycle_repair
Peter|Visser|1970-03-03|GM0363|ended|2024-09-01|true|Klussen|gardening
Lotte|Smit|2001-12-24|GM0363|applicant||true|Naaiatelier|other
Jan|Mulder|1965-06-18|GM0599|active|2025-04-01|false|Catering|catering
MEMBERS

call POST /v1/users "{\"username\":\"beheer\",\"password\":\"$(pw coop_admin)\",\"role\":\"coop_admin\",\"cooperative_id\":\"$coop\"}" >/dev/null
call POST /v1/users "{\"username\":\"boekhouder\",\"password\":\"$(pw bookkeeper)\",\"role\":\"bookkeeper\",\"cooperative_id\":\"$coop\"}" >/dev/null
call POST /v1/users "{\"username\":\"accountant\",\"password\":\"$(pw auditor)\",\"role\":\"auditor\",\"cooperative_id\":\"$coop\"}" >/dev/null
call POST /v1/users "{\"username\":\"fatima\",\"password\":\"$(pw member)\",\"role\":\"member\",\"cooperative_id\":\"$coop\",\"member_id\":\"${members[0]}\"}" >/dev/null
call POST /v1/users "{\"username\":\"gemeente.amsterdam\",\"password\":\"$(pw municipality)\",\"role\":\"municipality\",\"municipality_code\":\"GM0363\"}" >/dev/null

# Invoices of the last three months (issued today, for work done then) for Fatima (gardening) and
# Kees (bicycle repair), one of Kees's credited again; each month settled and finalized, and the
# current month calculated as a draft.
invoice() { # MEMBER CUSTOMER SUPPLY_DATE CATEGORY UNIT QUANTITY PRICE_CENTS DESCRIPTION → id
	local id
	id=$(call POST "/v1/cooperatives/$coop/invoices" "{\"member_id\":\"$1\",\"customer_id\":\"$2\",
 \"supply_date\":\"$3\",\"lines\":[{\"description\":\"$8\",\"quantity\":\"$6\",\"unit\":\"$5\",
 \"unit_price_cents\":$7,\"activity_category\":\"$4\",\"vat_category\":\"S\",\"vat_rate_bp\":2100}]}" | id_of)
	call POST "/v1/invoices/$id/issue" >/dev/null
	printf '%s' "$id"
}
pay() { # INVOICE AMOUNT_CENTS: received today
	call POST "/v1/invoices/$1/payments" "{\"amount_cents\":$2,\"received_on\":\"$(date +%F)\",
 \"method\":\"bank\",\"reference\":\"Bankafschrift\"}" >/dev/null
}
this_month=$(date +%Y-%m)
for back in 3 2 1; do
	m=$(date -d "$this_month-01 -$back month" +%Y-%m)
	paid=$(invoice "${members[0]}" "$linde" "$m-04" gardening hour 8 2750 "Snoeien en opruimen binnentuin")
	pay "$paid" 26620 # in full (22000 + 21 % VAT)
	invoice "${members[0]}" "$linde" "$m-18" gardening hour $((6 + back * 2)) 3000 "Tuinonderhoud $m" >/dev/null
	paid=$(invoice "${members[1]}" "$oost" "$m-11" bicycle_repair piece $((4 + back)) 1750 "Fietsreparaties")
	pay "$paid" 5000 # in part
	if [ "$back" = 1 ]; then
		wrong=$(invoice "${members[1]}" "$oost" "$m-12" bicycle_repair piece 3 1750 "Fietsreparaties")
		call POST "/v1/invoices/$wrong/credit-notes" '{"reason":"Dubbel gefactureerd"}' >/dev/null
	fi
	call POST "/v1/cooperatives/$coop/settlements/$m" >/dev/null
	call POST "/v1/cooperatives/$coop/settlements/$m/finalize" >/dev/null
done
invoice "${members[0]}" "$linde" "$this_month-01" gardening hour 4 2750 "Bladruimen" >/dev/null
call POST "/v1/cooperatives/$coop/settlements/$this_month" >/dev/null

# What the cooperative paid from the fees this month, and a payout of part of Fatima's balance.
call POST "/v1/cooperatives/$coop/collective-costs" "{\"date\":\"$this_month-01\",\"category\":\"rent\",
 \"description\":\"Huur werkplaats $this_month\",\"amount_cents\":45000}" >/dev/null
call POST "/v1/cooperatives/$coop/collective-costs" "{\"date\":\"$this_month-02\",\"category\":\"training\",
 \"description\":\"Cursus boekhouden voor leden\",\"amount_cents\":12500}" >/dev/null
call POST "/v1/cooperatives/$coop/payouts" "{\"transfers\":[{\"member_id\":\"${members[0]}\",
 \"amount_cents\":40000,\"description\":\"Uitbetaling De Werkplaats $this_month\"}]}" >/dev/null
