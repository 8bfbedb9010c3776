/**
 * The dashboard page's own script, served at `<dashboard path>/dashboard.js` (a file of the app,
 * so a strict Content-Security-Policy applies). It connects to the feed with the modern client of
 * `/iris-ws.js` and redraws on every `stats` event. Every server value reaches the page through
 * `textContent` or an SVG attribute, never as markup: room names are user-controlled.
 * Plain ES2019 on purpose: it is served as it is, without a build step.
 */
export const DASHBOARD_SCRIPT = String.raw`(function () {
  'use strict';
  var HISTORY = 60;
  var WIDTH = 600;
  var HEIGHT = 200;
  var TOP = 8;

  function byId(id) {
    return document.getElementById(id);
  }

  function setText(id, text) {
    var element = byId(id);
    if (element) element.textContent = text;
  }

  function format(value) {
    return typeof value === 'number'
      ? value.toLocaleString('en-US', { maximumFractionDigits: 2 })
      : '-';
  }

  function showState(state) {
    var status = byId('status');
    status.textContent = state;
    status.setAttribute('data-state', state);
  }

  function cell(className, text) {
    var td = document.createElement('td');
    td.className = className;
    td.textContent = text;
    return td;
  }

  function renderRooms(rooms, roomCount) {
    var rows = document.createDocumentFragment();
    rooms.forEach(function (room) {
      var tr = document.createElement('tr');
      tr.appendChild(cell('room', room.name));
      tr.appendChild(cell('members', format(room.members)));
      rows.appendChild(tr);
    });
    document.querySelector('#rooms tbody').replaceChildren(rows);
    byId('rooms-empty').hidden = rooms.length > 0;
    setText(
      'rooms-shown',
      rooms.length < roomCount ? '(largest ' + rooms.length + ' of ' + format(roomCount) + ')' : '',
    );
  }

  function renderRecord(id, record) {
    var items = document.createDocumentFragment();
    Object.keys(record || {})
      .filter(function (key) {
        return record[key] > 0;
      })
      .sort()
      .forEach(function (key) {
        var li = document.createElement('li');
        li.textContent = key + ': ' + format(record[key]);
        items.appendChild(li);
      });
    if (!items.hasChildNodes()) {
      var none = document.createElement('li');
      none.className = 'none';
      none.textContent = 'none';
      items.appendChild(none);
    }
    byId(id).replaceChildren(items);
  }

  function renderTotals(totals) {
    var cells = document.querySelectorAll('#totals td[data-key]');
    for (var i = 0; i < cells.length; i++) {
      cells[i].textContent = format(totals[cells[i].getAttribute('data-key')]);
    }
    renderRecord('refusals', totals.upgradesRefusedByReason);
    renderRecord('errors', totals.errorsByCode);
  }

  // 1, 2 or 5 times a power of ten: a scale a reader can take in at a glance.
  function niceCeiling(value) {
    var power = Math.pow(10, Math.floor(Math.log10(value)));
    var mantissa = value / power;
    return (mantissa <= 1 ? 1 : mantissa <= 2 ? 2 : mantissa <= 5 ? 5 : 10) * power;
  }

  function renderChart(history) {
    var highest = 1;
    history.forEach(function (sample) {
      highest = Math.max(highest, sample.in, sample.out);
    });
    var scale = niceCeiling(highest);
    var step = WIDTH / (HISTORY - 1);
    var offset = HISTORY - history.length;
    function points(series) {
      return history
        .map(function (sample, index) {
          var x = (offset + index) * step;
          var y = HEIGHT - (sample[series] / scale) * (HEIGHT - TOP);
          return x.toFixed(1) + ',' + y.toFixed(1);
        })
        .join(' ');
    }
    byId('chart-in').setAttribute('points', points('in'));
    byId('chart-out').setAttribute('points', points('out'));
    byId('chart').setAttribute('data-samples', String(history.length));
    setText('chart-scale', format(scale) + '/s');
    setText('chart-half', format(scale / 2) + '/s');
  }

  function render(snapshot) {
    setText('connections', format(snapshot.connections));
    setText('room-count', format(snapshot.roomCount));
    setText('rate-in', format(snapshot.rates.in));
    setText('rate-out', format(snapshot.rates.out));
    setText('updated', new Date(snapshot.at).toLocaleTimeString('en-GB'));
    renderRooms(snapshot.rooms, snapshot.roomCount);
    renderTotals(snapshot.totals);
    renderChart(snapshot.history);
  }

  var client = new window.WsRooms.WsRoomsClient(document.body.getAttribute('data-feed'), {
    sendBufferSize: 0,
  });
  client.onStateChange(showState);
  client.onError(function (error) {
    setText('feed-error', error.message);
  });
  client.on('stats', function (snapshot) {
    setText('feed-error', '');
    render(snapshot);
  });
  showState(client.state);
})();
`;
