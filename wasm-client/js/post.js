// Linked into facegender_wasm.mjs with --post-js (it runs inside the module
// factory). The embind functions of src/bindings.cpp return an Error object
// instead of throwing it, so that no JS exception ever crosses C++ frames (it
// would skip their destructors and leak); here every one of them is wrapped
// to throw what it returns. Functions that cannot fail are not listed.
addOnPostRun(function () {
  function throwing(name, f) {
    if (typeof f !== 'function') throw new Error('facegender: binding ' + name + ' is missing');
    // embind's resolver of overloads (same name, different argument counts)
    // looks its table up on the property it was installed as: resolve here.
    var overloads = f.overloadTable;
    return function () {
      var g = f;
      if (overloads) {
        g = overloads[arguments.length];
        if (!g) {
          throw new TypeError(name + ' called with ' + arguments.length + ' arguments, expects ' +
                              Object.keys(overloads).filter(function (k) { return /^[0-9]+$/.test(k); }).join(' or '));
        }
      }
      var result = g.apply(this, arguments);
      if (result instanceof Error) throw result;
      return result;
    };
  }
  ['toGray', 'resize', 'resizeArea', 'resizeBilinear', 'squareCrop', 'cropFace', 'centerCrop', 'toTensor',
   'findFaces', 'estimateRoll', 'faceInputs', 'softmax', 'formatLabel', 'predict', 'parseModelSpec',
   'chooseModelOutput', 'outputProbabilities',
   'scenePreset', 'letterboxInput', 'alignedCrop', 'estimatePose', 'splitOfSha256', 'checkFaces'
  ].forEach(function (name) {
    Module[name] = throwing(name, Module[name]);
  });
  var Cascade = Module['Cascade'];
  Cascade['fromJson'] = throwing('Cascade.fromJson', Cascade['fromJson']);
  ['detect', 'detectCandidates'].forEach(function (name) {
    Cascade.prototype[name] = throwing('Cascade.' + name, Cascade.prototype[name]);
  });
  var FaceTracker = Module['FaceTracker'];
  FaceTracker['create'] = throwing('FaceTracker.create', FaceTracker['create']);
  FaceTracker.prototype['faceInputs'] = throwing('FaceTracker.faceInputs', FaceTracker.prototype['faceInputs']);
  var FaceSmoother = Module['FaceSmoother'];
  FaceSmoother['create'] = throwing('FaceSmoother.create', FaceSmoother['create']);
  FaceSmoother.prototype['faceInputs'] = throwing('FaceSmoother.faceInputs', FaceSmoother.prototype['faceInputs']);
  var FaceFinder = Module['FaceFinder'];
  FaceFinder['fromBytes'] = throwing('FaceFinder.fromBytes', FaceFinder['fromBytes']);
  ['find', 'faceInputs'].forEach(function (name) {
    FaceFinder.prototype[name] = throwing('FaceFinder.' + name, FaceFinder.prototype[name]);
  });
});
